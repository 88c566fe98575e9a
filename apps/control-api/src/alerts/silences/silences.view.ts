import { alertspb } from '@app/contracts';
import type { FollowedRecord } from '@app/kafka';
import { compareNewestFirst, pageAfter, Position } from '../alerting-cursor';

export type SilenceState = 'active' | 'pending' | 'expired';

export interface SilenceFilter {
  /** undefined: every silence (an operator); otherwise only this tenant's own. */
  tenant: string | undefined;
  state?: SilenceState;
}

export function silenceState(s: alertspb.SilenceRecord, now: number): SilenceState {
  if (now < Number(s.startsAtMs)) return 'pending';
  return now < Number(s.endsAtMs) ? 'active' : 'expired';
}

const positionOf = (s: alertspb.SilenceRecord): Position => ({ atMs: Number(s.createdAtMs), id: s.id });

/**
 * The silences topic (compacted, keyed by id) folded in memory, rebuilt from its start at boot:
 * the latest record per id; a tombstone removes it. The API's own writes are applied once Kafka
 * acknowledged them. Memory bound: a silence is forgotten `retentionMs` after it ended (the
 * topic keeps it until someone writes its tombstone).
 */
export class SilencesView {
  private readonly silences = new Map<string, alertspb.SilenceRecord>();
  private sorted: alertspb.SilenceRecord[] | undefined;

  constructor(
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  applyRecord(record: FollowedRecord): void {
    const key = record.message.key?.toString();
    if (!record.message.value) {
      if (key !== undefined) this.remove(key);
      return;
    }
    this.apply(alertspb.SilenceRecord.decode(record.message.value));
  }

  apply(silence: alertspb.SilenceRecord): void {
    if (!silence.id) return;
    if (Number(silence.endsAtMs) < this.now() - this.retentionMs) {
      this.remove(silence.id);
      return;
    }
    this.silences.set(silence.id, silence);
    this.sorted = undefined;
  }

  get(id: string): alertspb.SilenceRecord | undefined {
    return this.silences.get(id);
  }

  page(filter: SilenceFilter, limit: number, after?: Position) {
    const now = this.now();
    this.sweep(now);
    this.sorted ??= [...this.silences.values()].sort((a, b) =>
      compareNewestFirst(positionOf(a), positionOf(b)),
    );
    return pageAfter(
      this.sorted,
      positionOf,
      (s) =>
        (filter.tenant === undefined || s.tenantId === filter.tenant) &&
        (filter.state === undefined || silenceState(s, now) === filter.state),
      limit,
      after,
    );
  }

  get size(): number {
    return this.silences.size;
  }

  private sweep(now: number): void {
    for (const s of this.silences.values())
      if (Number(s.endsAtMs) < now - this.retentionMs) this.remove(s.id);
  }

  private remove(id: string): void {
    if (this.silences.delete(id)) this.sorted = undefined;
  }
}
