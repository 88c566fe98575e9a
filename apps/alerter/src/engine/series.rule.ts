import type { Activation } from '@app/alerting';
import { identityFor, resolvedFrom, type AlertLocation } from './alert.identity';
import type { AlertChange, AlertIdentity, Emit, EngineRule } from './engine.types';
import { MIN_IDLE_MS, type RuleContext } from './rule.context';

export interface BaseSeries {
  readonly where: AlertLocation;
  identity?: AlertIdentity;
  /** The last non-resolved change, while the alert is pending or firing. */
  alert?: AlertChange;
  /** Receive time of the last input of this series (idle sweep). */
  touchedMs: number;
}

/**
 * Per-rule state keyed by series (one container, or one agent): creation under the partition's
 * budget, the set of series with a live alert (so clock-driven checks do not scan every series),
 * relabelling when the rule's labels change, and the idle sweep.
 */
export abstract class SeriesRule<S extends BaseSeries> {
  protected readonly series = new Map<string, S>();
  protected readonly live = new Set<S>();

  constructor(
    public rule: EngineRule,
    protected readonly ctx: RuleContext,
  ) {}

  get name(): string {
    return this.rule.definition.name;
  }

  /** Longest stretch of time this rule looks back over; the idle sweep keeps twice that. */
  protected abstract windowMs(): number;
  protected abstract containerLevel(): boolean;

  /** false on a run-time error (reported, and counted as no match). */
  protected matches(activation: Activation): boolean {
    const condition = this.rule.condition;
    if (!condition) return true;
    const result = condition.evaluate(activation);
    if (result.ok) return result.value;
    this.ctx.ruleError(this.name, result.error);
    return false;
  }

  protected obtain(key: string, create: () => S): S | undefined {
    const existing = this.series.get(key);
    if (existing) return existing;
    if (!this.ctx.budget.acquire(this.name)) return undefined;
    const created = create();
    this.series.set(key, created);
    return created;
  }

  protected identityOf(s: S): AlertIdentity {
    s.identity ??= identityFor(this.rule.definition, s.where, this.containerLevel());
    return s.identity;
  }

  protected record(s: S, change: AlertChange, emit: Emit): void {
    if (change.state === 'resolved') {
      s.alert = undefined;
      this.live.delete(s);
    } else {
      s.alert = change;
      this.live.add(s);
    }
    emit(change);
  }

  protected resolve(s: S, atMs: number, emit: Emit): void {
    if (s.alert) this.record(s, resolvedFrom(s.alert, atMs), emit);
  }

  /**
   * Same source, new definition: series state is kept. If the labels or severity changed, the
   * fingerprint did too: each live alert is resolved under its old fingerprint and carried on
   * under the new one (same state and start), so no consumer is left with an orphan.
   */
  update(rule: EngineRule, nowMs: number, emit: Emit): void {
    this.rule = rule;
    for (const s of this.series.values()) s.identity = undefined;
    for (const s of [...this.live]) {
      const old = s.alert;
      if (!old) continue;
      const identity = this.identityOf(s);
      if (identity.fingerprint === old.fingerprint) continue;
      emit(resolvedFrom(old, nowMs));
      this.record(s, { ...old, ...identity, atMs: nowMs }, emit);
    }
  }

  /** Live alerts (latest change each), for alerts() and for resolving a rule that went away. */
  alerts(): AlertChange[] {
    const out: AlertChange[] = [];
    for (const s of this.live) if (s.alert) out.push(s.alert);
    return out;
  }

  /** Drops series with no live alert and no input for max(2 × window, 1 h) of receive time. */
  sweep(nowMs: number): void {
    const idleMs = Math.max(2 * this.windowMs(), MIN_IDLE_MS);
    let dropped = 0;
    for (const [key, s] of this.series) {
      if (s.alert === undefined && nowMs - s.touchedMs >= idleMs) {
        this.series.delete(key);
        dropped += 1;
      }
    }
    this.ctx.budget.release(dropped);
  }

  forget(fingerprint: string): void {
    for (const [key, s] of this.series) {
      if (this.identityOf(s).fingerprint !== fingerprint) continue;
      this.series.delete(key);
      this.live.delete(s);
      this.ctx.budget.release();
    }
  }

  /** The rule went away: frees its series and returns its live alerts (to be resolved). */
  dispose(): AlertChange[] {
    const live = this.alerts();
    this.ctx.budget.release(this.series.size);
    this.series.clear();
    this.live.clear();
    return live;
  }
}
