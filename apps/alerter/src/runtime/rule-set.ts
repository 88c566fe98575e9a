import { readFile, stat } from 'node:fs/promises';
import type { Kafka } from 'kafkajs';
import { compileCondition, loadRulesFile, RuleDefinition, ruleFromProto } from '@app/alerting';
import { alertspb } from '@app/contracts';
import { TopicFollower } from '@app/kafka';
import type { AppLogger, Metrics } from '@app/observability';
import type { EngineRule } from '../engine';

export interface RuleStatus {
  name: string;
  origin: 'file' | 'api';
  errors: number;
  lastError?: string;
}

/**
 * The rules in force: those of ALERTER_RULES_FILE (read at start, then whenever the file
 * changes; a file that does not load is refused with file:line:col and the reason, and the rules
 * before it stay) and those set through the control-api (the compacted alert-rules topic, read
 * from its start and followed, so every instance converges). A rule set through the API replaces
 * a file rule of the same name. `current()` is cheap: the engines call it on every input.
 */
export class RuleSet {
  private fileRules = new Map<string, EngineRule>();
  private readonly apiRules = new Map<string, EngineRule>();
  private merged: EngineRule[] = [];
  private readonly follower: TopicFollower;
  private poller: NodeJS.Timeout | undefined;
  private fileStamp = '';
  private readonly errors = new Map<string, { count: number; last: string }>();
  private readonly errorCounter;
  private readonly refused;
  private fileOk = 1;

  constructor(
    kafka: Kafka,
    rulesTopic: string,
    private readonly options: { file?: string; pollMs: number; instanceId: string },
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.follower = new TopicFollower(
      kafka,
      { topics: [rulesTopic], groupPrefix: `alerter-rules-${options.instanceId}` },
      (r) => this.applyRecord(String(r.message.key ?? ''), r.message.value),
      logger,
    );
    this.errorCounter = metrics.counter({
      name: 'alerter_rule_errors_total',
      help: 'Run-time errors of rule conditions, per rule (the input is taken as not matching)',
      labelNames: ['rule'],
    });
    metrics.gauge({ name: 'alerter_rules', help: 'Rules in force', value: () => this.merged.length });
    this.refused = metrics.counter({
      name: 'alerter_rules_file_refused_total',
      help: 'Loads of ALERTER_RULES_FILE refused (bad YAML or rule); the rules before stayed',
    });
    metrics.gauge({
      name: 'alerter_rules_file_ok',
      help: '1 if the latest version of ALERTER_RULES_FILE is the one in force, 0 if it was refused',
      value: () => this.fileOk,
    });
  }

  async start(): Promise<void> {
    if (this.options.file) {
      const loaded = await this.loadFile();
      if (!loaded)
        throw new Error(`ALERTER_RULES_FILE ${this.options.file} could not be loaded (see the log)`);
      this.poller = setInterval(() => void this.loadFile(), this.options.pollMs);
      this.poller.unref();
    }
    await this.follower.start();
    await this.follower.whenCaughtUp();
    this.logger.info({ rules: this.merged.map((r) => r.definition.name) }, 'alert rules loaded');
  }

  async stop(): Promise<void> {
    clearInterval(this.poller);
    await this.follower.stop();
  }

  current(): EngineRule[] {
    return this.merged;
  }

  /** Called by the engines: counted and shown in the rule's status, never thrown. */
  ruleError(rule: string, error: string): void {
    const e = this.errors.get(rule) ?? { count: 0, last: '' };
    e.count++;
    e.last = error;
    this.errors.set(rule, e);
    this.errorCounter.inc({ rule });
  }

  status(): RuleStatus[] {
    return this.merged.map((r) => ({
      name: r.definition.name,
      origin: this.apiRules.has(r.definition.name) ? 'api' : 'file',
      errors: this.errors.get(r.definition.name)?.count ?? 0,
      lastError: this.errors.get(r.definition.name)?.last,
    }));
  }

  /** Reads the file if it changed; false if it does not load (the previous rules stay). */
  private async loadFile(): Promise<boolean> {
    const file = this.options.file!;
    try {
      const info = await stat(file);
      const stamp = `${info.mtimeMs}:${info.size}`;
      if (stamp === this.fileStamp) return true;
      this.fileStamp = stamp;
      const loaded = loadRulesFile(await readFile(file, 'utf8'), file);
      if (!loaded.ok) {
        this.fileOk = 0;
        this.refused.inc();
        this.logger.error(
          { file, reason: loaded.error },
          `rule file refused, previous rules stay: ${loaded.error}`,
        );
        return false;
      }
      const next = new Map<string, EngineRule>();
      for (const definition of loaded.rules) next.set(definition.name, compiled(definition));
      this.fileRules = next;
      this.fileOk = 1;
      this.merge();
      this.logger.info({ file, rules: next.size }, 'rule file loaded');
      return true;
    } catch (error) {
      this.fileOk = 0;
      this.refused.inc();
      this.logger.error({ file, err: error }, 'rule file cannot be read, previous rules stay');
      return false;
    }
  }

  private applyRecord(name: string, value: Buffer | null): void {
    if (!value) {
      this.apiRules.delete(name);
    } else {
      const record = alertspb.AlertRuleRecord.decode(value);
      if (!record.rule) return;
      const definition = ruleFromProto(record.rule);
      this.apiRules.set(definition.name, compiled(definition));
    }
    this.merge();
  }

  private merge(): void {
    const all = new Map(this.fileRules);
    for (const [name, rule] of this.apiRules) all.set(name, rule);
    this.merged = [...all.values()];
  }
}

/** A rule that passed validation compiles; one that does not (a changed CEL library) is kept without a condition match. */
function compiled(definition: RuleDefinition): EngineRule {
  if (!definition.when) return { definition };
  const result = compileCondition(definition.source, definition.when);
  if (!result.ok) throw new Error(`rule ${definition.name}: ${result.message}`);
  return { definition, condition: result.condition };
}
