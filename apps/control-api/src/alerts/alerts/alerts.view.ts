import { alertspb } from '@app/contracts';
import type { FollowedRecord } from '@app/kafka';
import { compareNewestFirst, pageAfter, Position } from '../alerting-cursor';
import { AlertEntry, foldAlertLog, fingerprintOf } from './alert-fold';

export interface AlertFilter {
  /** undefined: every tenant. */
  tenant: string | undefined;
  states: readonly alertspb.AlertState[];
  rule?: string;
  agentId?: string;
}

const positionOf = (e: AlertEntry): Position => ({ atMs: e.startsAtMs, id: e.transition.fingerprint });

/**
 * The alerts topic folded per fingerprint (see foldAlertLog), rebuilt from the topic's start at
 * boot. Memory bound: a resolved alert is forgotten `retentionMs` after it resolved; pending and
 * firing ones stay as long as the alerter keeps them so.
 */
export class AlertsView {
  private readonly alerts = new Map<string, AlertEntry>();
  private sorted: AlertEntry[] | undefined;
  private lastSweepMs = 0;

  constructor(
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
    private readonly sweepIntervalMs = Math.min(60_000, retentionMs),
  ) {}

  applyRecord(record: FollowedRecord): void {
    if (record.message.value) this.apply(alertspb.AlertLogRecord.decode(record.message.value));
  }

  apply(record: alertspb.AlertLogRecord): boolean {
    const fingerprint = fingerprintOf(record);
    if (!fingerprint) return false;
    const known = this.alerts.get(fingerprint);
    const { entry, changed } = foldAlertLog(known, record);
    if (!entry || !changed) return false;
    if (this.outlived(entry, this.now())) {
      if (known) this.drop(fingerprint);
      return false;
    }
    this.alerts.set(fingerprint, entry);
    this.sorted = undefined;
    return true;
  }

  get(fingerprint: string): AlertEntry | undefined {
    this.maybeSweep(this.now());
    return this.alerts.get(fingerprint);
  }

  /** Newest `starts_at` first. */
  page(filter: AlertFilter, limit: number, after?: Position): { items: AlertEntry[]; next?: Position } {
    this.maybeSweep(this.now());
    this.sorted ??= [...this.alerts.values()].sort((a, b) =>
      compareNewestFirst(positionOf(a), positionOf(b)),
    );
    return pageAfter(
      this.sorted,
      positionOf,
      ({ transition: t }) =>
        filter.states.includes(t.state) &&
        (filter.tenant === undefined || t.tenantId === filter.tenant) &&
        (filter.rule === undefined || t.ruleName === filter.rule) &&
        (filter.agentId === undefined || t.agentId === filter.agentId),
      limit,
      after,
    );
  }

  get size(): number {
    return this.alerts.size;
  }

  sweep(now = this.now()): void {
    this.lastSweepMs = now;
    for (const [fingerprint, entry] of this.alerts) if (this.outlived(entry, now)) this.drop(fingerprint);
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweepMs >= this.sweepIntervalMs) this.sweep(now);
  }

  private outlived(entry: AlertEntry, now: number): boolean {
    if (entry.transition.state !== alertspb.AlertState.ALERT_STATE_RESOLVED) return false;
    const resolvedAt = Number(entry.transition.endsAtMs) || entry.atMs;
    return resolvedAt < now - this.retentionMs;
  }

  private drop(fingerprint: string): void {
    this.alerts.delete(fingerprint);
    this.sorted = undefined;
  }
}
