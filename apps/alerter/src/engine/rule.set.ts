import { compileCondition } from '@app/alerting';
import { AgentAbsenceRule, ContainerAbsenceRule } from './absence.rule';
import type { AlertChange, Emit, EngineRule } from './engine.types';
import { EventRule } from './event.rule';
import type { RuleContext } from './rule.context';
import { StatsRule } from './stats.rule';

export type Evaluator = EventRule | StatsRule | AgentAbsenceRule | ContainerAbsenceRule;

interface Slot {
  /** As given by rules(), to recognise an unchanged rule by identity. */
  given: EngineRule;
  evaluator: Evaluator;
}

/**
 * The partition's view of rules(), kept in step with it on every ingest and tick.
 * - Same object as last time: nothing to do (the common case costs one array comparison).
 * - New definition, same source: series state is kept (see SeriesRule.update).
 * - Source changed, or the rule is gone: its state is dropped and its live alerts are resolved
 *   at the next tick (endsAtMs = that tick's now).
 * Rule names are unique; a duplicate name in rules() is ignored after the first.
 */
export class RuleSet {
  events: EventRule[] = [];
  stats: StatsRule[] = [];
  agents: AgentAbsenceRule[] = [];
  containers: ContainerAbsenceRule[] = [];
  private readonly slots = new Map<string, Slot>();
  private last?: readonly EngineRule[];
  private retired: AlertChange[] = [];

  constructor(private readonly ctx: RuleContext) {}

  sync(rules: readonly EngineRule[], nowMs: number, emit: Emit): void {
    if (rules === this.last) return;
    let changed = rules.length !== this.last?.length;
    const seen = new Set<string>();
    for (const given of rules) {
      const name = given.definition.name;
      if (seen.has(name)) continue;
      seen.add(name);
      const slot = this.slots.get(name);
      if (slot?.given === given) continue;
      changed = true;
      if (slot && slot.evaluator.rule.definition.source === given.definition.source) {
        slot.given = given;
        slot.evaluator.update(this.prepared(given), nowMs, emit);
        continue;
      }
      if (slot) this.retired.push(...slot.evaluator.dispose());
      this.slots.set(name, { given, evaluator: this.create(given) });
    }
    for (const [name, slot] of this.slots) {
      if (seen.has(name)) continue;
      this.retired.push(...slot.evaluator.dispose());
      this.slots.delete(name);
    }
    this.last = rules;
    if (changed) this.index();
  }

  /** Live alerts of rules that went away or changed source, to be resolved now. */
  takeRetired(): AlertChange[] {
    const out = this.retired;
    this.retired = [];
    return out;
  }

  all(): Evaluator[] {
    return [...this.slots.values()].map((s) => s.evaluator);
  }

  private index(): void {
    const all = this.all();
    this.events = all.filter((e): e is EventRule => e instanceof EventRule);
    this.stats = all.filter((e): e is StatsRule => e instanceof StatsRule);
    this.agents = all.filter((e): e is AgentAbsenceRule => e instanceof AgentAbsenceRule);
    this.containers = all.filter((e): e is ContainerAbsenceRule => e instanceof ContainerAbsenceRule);
  }

  private create(given: EngineRule): Evaluator {
    const rule = this.prepared(given);
    switch (rule.definition.source) {
      case 'events':
        return new EventRule(rule, this.ctx);
      case 'stats':
        return new StatsRule(rule, this.ctx);
      case 'agents':
        return new AgentAbsenceRule(rule, this.ctx);
      case 'containers':
        return new ContainerAbsenceRule(rule, this.ctx);
    }
  }

  /**
   * A rule with a `when` but no compiled condition is compiled here; if that fails the rule
   * matches nothing (and says so on every input) rather than everything.
   */
  private prepared(given: EngineRule): EngineRule {
    const { definition } = given;
    if (given.condition || definition.when.trim() === '') return given;
    const compiled = compileCondition(definition.source, definition.when);
    if (compiled.ok) return { definition, condition: compiled.condition };
    const error = `condition does not compile: ${compiled.message}`;
    return {
      definition,
      condition: { source: definition.source, text: definition.when, evaluate: () => ({ ok: false, error }) },
    };
  }
}
