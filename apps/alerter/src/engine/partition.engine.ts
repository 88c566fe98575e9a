import { activationForEvent, activationForStats } from '@app/alerting';
import { containerNameOf, resolvedFrom, type AlertLocation } from './alert.identity';
import type {
  AlertChange,
  Emit,
  EngineHooks,
  EngineInput,
  EngineOptions,
  EngineRule,
  EventInput,
  ListInput,
  StatsInput,
} from './engine.types';
import { FleetState, hostKeyOf } from './fleet.state';
import { DEFAULT_MAX_SERIES, MIN_IDLE_MS, SeriesBudget, errorText, type RuleContext } from './rule.context';
import { RuleSet, type Evaluator } from './rule.set';

/** The idle sweep runs at most this often (receive clock). */
const SWEEP_EVERY_MS = 60_000;

/**
 * The rule engine of one input partition. Pure: no I/O, no timers, no Date.now; time comes in
 * as event times and receive times on inputs and as `now` on tick. Not thread-safe and not
 * re-entrant: one caller per partition.
 *
 * Failure isolation: every rule runs under its own try/catch; a CEL error or an exception is
 * reported through hooks.ruleError and counts as "no match" for that input. Nothing a rule does
 * escapes ingest() or tick(), and hooks that throw are ignored.
 *
 * Clocks: event and stats rules evaluate in event time; absence rules, quiet periods and silence
 * timeouts use the receive clock, advanced by tick(now). The runtime should pass a `now` that
 * does not run ahead of the inputs it has consumed (e.g. while catching up after a restart),
 * or absence rules fire for agents whose messages are still in the backlog.
 */
export class PartitionEngine {
  private readonly ctx: RuleContext;
  private readonly rules: RuleSet;
  private readonly fleet: FleetState;
  /** Latest non-resolved change per fingerprint. */
  private readonly book = new Map<string, AlertChange>();
  private lateReported?: EngineInput;
  private lastSweepMs = -Infinity;
  private lastRules: readonly EngineRule[] = [];

  constructor(
    private readonly ruleSource: () => EngineRule[],
    options: EngineOptions,
    private readonly hooks: EngineHooks,
  ) {
    const budget = new SeriesBudget(options.maxSeries ?? DEFAULT_MAX_SERIES, (rule) =>
      this.safely(() => hooks.seriesCapped?.(rule)),
    );
    this.ctx = {
      maxLatenessMs: Math.max(0, options.maxLatenessMs),
      budget,
      ruleError: (rule, error) => this.safely(() => hooks.ruleError(rule, error)),
      late: (input) => {
        if (this.lateReported === input) return;
        this.lateReported = input;
        this.safely(() => hooks.late(input));
      },
    };
    this.rules = new RuleSet(this.ctx);
    this.fleet = new FleetState(budget);
  }

  /** Evaluates every applicable rule for one input; returns the alert changes it caused. */
  ingest(input: EngineInput): AlertChange[] {
    const out: AlertChange[] = [];
    const emit = this.emitter(out);
    this.lateReported = undefined;
    this.syncRules(input.receivedAtMs, emit);
    const agentKey = this.fleet.see(input);
    if (agentKey !== undefined) {
      for (const r of this.rules.agents) this.guard(r, () => r.seen(agentKey, input.receivedAtMs, emit));
    }
    switch (input.kind) {
      case 'event':
        this.onEvent(input, emit);
        break;
      case 'stats':
        this.onStats(input, emit);
        break;
      case 'list':
        this.onList(input, emit);
        break;
      case 'agent':
        break;
    }
    return out;
  }

  /** Advances the receive clock: absence rules, quiet periods, silences, retired rules, memory. */
  tick(nowMs: number): AlertChange[] {
    const out: AlertChange[] = [];
    const emit = this.emitter(out);
    this.syncRules(nowMs, emit);
    for (const alert of this.rules.takeRetired()) {
      // Only if nothing newer took over the fingerprint (a rule re-added under the same name).
      if (this.book.get(alert.fingerprint) === alert) emit(resolvedFrom(alert, nowMs));
    }
    for (const r of this.rules.events) this.guard(r, () => r.tick(nowMs, emit));
    for (const r of this.rules.stats) this.guard(r, () => r.tick(nowMs, emit));
    for (const r of this.rules.agents) this.guard(r, () => r.tick(nowMs, this.fleet, emit));
    for (const r of this.rules.containers) this.guard(r, () => r.tick(nowMs, this.fleet, emit));
    if (nowMs - this.lastSweepMs >= SWEEP_EVERY_MS) {
      this.lastSweepMs = nowMs;
      this.sweep(nowMs);
    }
    return out;
  }

  /** Current non-resolved alerts, the latest change of each. */
  alerts(): AlertChange[] {
    return [...this.book.values()];
  }

  /** Drops all state behind a fingerprint (no change is emitted). */
  forget(fingerprint: string): void {
    this.book.delete(fingerprint);
    for (const r of this.rules.all()) this.guard(r, () => r.forget(fingerprint));
  }

  /** Tracked series, agents and containers (for a gauge). */
  trackedSeries(): number {
    return this.ctx.budget.size;
  }

  private onEvent(input: EventInput, emit: Emit): void {
    const rules = this.rules.events;
    if (rules.length === 0) return;
    const { event } = input;
    const where = this.containerWhere(input, event.actorId, containerNameOf(event.actorName, event.actorId));
    const key = `${hostKeyOf(input.tenantId, input.agentId, input.host)}\u0000${where.containerName}`;
    const activation = activationForEvent({
      host: input.host,
      agentId: input.agentId,
      tenant: input.tenantId,
      event: { ...event, timeMs: input.eventTimeMs },
      container: { id: where.containerId, name: where.containerName },
    });
    for (const r of rules) {
      if (inScope(r, input)) this.guard(r, () => r.onEvent(input, key, where, activation, emit));
    }
  }

  private onStats(input: StatsInput, emit: Emit): void {
    const containerKey = this.fleet.statsSeen(input);
    if (containerKey !== undefined) {
      for (const r of this.rules.containers)
        this.guard(r, () => r.seen(containerKey, input.receivedAtMs, emit));
    }
    const rules = this.rules.stats;
    if (rules.length === 0) return;
    const { stats } = input;
    const where = this.containerWhere(input, stats.id, containerNameOf(stats.name, stats.id));
    const key = `${hostKeyOf(input.tenantId, input.agentId, input.host)}\u0000${where.containerName}`;
    const activation = activationForStats({
      host: input.host,
      agentId: input.agentId,
      tenant: input.tenantId,
      stats,
      container: { id: where.containerId, name: where.containerName },
    });
    for (const r of rules) {
      if (inScope(r, input)) this.guard(r, () => r.onStats(input, key, where, activation, emit));
    }
  }

  private onList(input: ListInput, emit: Emit): void {
    const gone = this.fleet.applyList(input) ?? [];
    for (const key of gone) {
      for (const r of this.rules.containers) this.guard(r, () => r.seen(key, input.receivedAtMs, emit));
    }
  }

  private containerWhere(input: EventInput | StatsInput, id: string, name: string): AlertLocation {
    return {
      tenantId: input.tenantId,
      agentId: input.agentId,
      host: input.host,
      containerId: id,
      containerName: name,
    };
  }

  private syncRules(nowMs: number, emit: Emit): void {
    let rules = this.lastRules;
    try {
      rules = this.ruleSource();
    } catch (error) {
      this.ctx.ruleError('(rules)', `rules() failed, keeping the previous rules: ${errorText(error)}`);
    }
    this.lastRules = rules;
    try {
      this.rules.sync(rules, nowMs, emit);
    } catch (error) {
      this.ctx.ruleError('(rules)', errorText(error));
    }
  }

  /**
   * Memory bound: rule series without a live alert are dropped after max(2 × the rule's window,
   * 1 h) without input; agents and hosts after max(2 × the longest absent_for, 1 h), unless a
   * live absence alert needs them. Past that the partition's cap (maxSeries) refuses new series.
   */
  private sweep(nowMs: number): void {
    for (const r of this.rules.all()) this.guard(r, () => r.sweep(nowMs));
    const absence = [...this.rules.agents, ...this.rules.containers];
    const longest = Math.max(0, ...absence.map((r) => r.rule.definition.absentForMs));
    try {
      this.fleet.sweep(nowMs, Math.max(2 * longest, MIN_IDLE_MS), (key) => absence.some((r) => r.has(key)));
    } catch (error) {
      this.ctx.ruleError('(fleet)', errorText(error));
    }
  }

  private emitter(out: AlertChange[]): Emit {
    return (change) => {
      if (change.state === 'resolved') this.book.delete(change.fingerprint);
      else this.book.set(change.fingerprint, change);
      out.push(change);
    };
  }

  private guard(rule: Evaluator, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.ctx.ruleError(rule.name, errorText(error));
    }
  }

  private safely(run: () => void): void {
    try {
      run();
    } catch {
      // A hook is the runtime's metrics; its failure must not change what the engine decides.
    }
  }
}

function inScope(rule: Evaluator, input: EngineInput): boolean {
  const tenant = rule.rule.definition.tenantId;
  return tenant === '' || tenant === input.tenantId;
}
