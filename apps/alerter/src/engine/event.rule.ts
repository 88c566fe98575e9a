import type { Activation } from '@app/alerting';
import { changeOf, renderAnnotations, type AlertLocation } from './alert.identity';
import type { Emit, EventInput } from './engine.types';
import { SeriesRule, type BaseSeries } from './series.rule';

interface EventSeries extends BaseSeries {
  where: AlertLocation;
  /** Newest matching event time: the lateness bound of this series. */
  latestMs: number;
  /** Count rules, not firing: event times of matches still able to fall in a window, sorted. */
  times: number[];
  /** Receive time of the last match: the start of the quiet period. */
  lastMatchMs: number;
}

/**
 * `source: events`, per rule and container (the actor's name, or its id when it has none).
 *
 * Without `count`, a match fires at the event's time. While firing, further matches produce no
 * change but restart the quiet period. The alert resolves in tick(now) once `resolveAfterMs` of
 * receive time passed without a match, so it ends even if the container never speaks again
 * (the "restart alert that never resolves" of other systems); endsAtMs = now.
 *
 * With `count {atLeast, withinMs}` (the restart-loop detector), the event times of matches are
 * kept in event-time order, a late one inserted where it belongs; the alert fires when
 * `atLeast` of them fall within some `withinMs` (inclusive), at the time of that window's last
 * event. Once firing, every match restarts the quiet period as above; on resolve the kept times
 * are cleared, so firing again takes `atLeast` fresh matches.
 *
 * A match older than the series' newest match − maxLatenessMs is late: reported and ignored.
 * A late match inside the bound still counts; it cannot undo a firing alert.
 */
export class EventRule extends SeriesRule<EventSeries> {
  protected windowMs(): number {
    const d = this.rule.definition;
    return Math.max(d.count?.withinMs ?? 0, d.resolveAfterMs, this.ctx.maxLatenessMs);
  }

  protected containerLevel(): boolean {
    return true;
  }

  onEvent(input: EventInput, key: string, where: AlertLocation, activation: Activation, emit: Emit): void {
    if (!this.matches(activation)) return;
    const t = input.eventTimeMs;
    const existing = this.series.get(key);
    if (existing && t < existing.latestMs - this.ctx.maxLatenessMs) {
      this.ctx.late(input);
      return;
    }
    const s = this.obtain(key, () => ({ where, touchedMs: 0, latestMs: t, times: [], lastMatchMs: 0 }));
    if (!s) return;
    if (!s.alert && s.where.containerId !== where.containerId) {
      // Same name, new id (recreated): the next alert carries the new id; a live one keeps its own.
      s.where = where;
      s.identity = undefined;
    }
    s.touchedMs = Math.max(s.touchedMs, input.receivedAtMs);
    s.lastMatchMs = Math.max(s.lastMatchMs, input.receivedAtMs);
    s.latestMs = Math.max(s.latestMs, t);
    if (s.alert) return;

    const count = this.rule.definition.count;
    if (!count) {
      this.fire(s, input, t, input.event.action, emit);
      return;
    }
    insertSorted(s.times, t);
    const floor = s.latestMs - this.ctx.maxLatenessMs - count.withinMs;
    while (s.times.length > 0 && s.times[0] < floor) s.times.shift();
    const end = windowEnd(s.times, count.atLeast, count.withinMs);
    if (end === undefined) return;
    const inWindow = s.times.filter((x) => x <= end && x >= end - count.withinMs).length;
    s.times = [];
    this.fire(s, input, end, String(inWindow), emit);
  }

  private fire(s: EventSeries, input: EventInput, atMs: number, value: string, emit: Emit): void {
    const identity = this.identityOf(s);
    const { event } = input;
    const annotations = renderAnnotations(this.rule.definition, identity, value, {
      action: event.action,
      type: event.type,
      attrs: event.attrs,
      actor_id: event.actorId,
      actor_name: event.actorName,
      event_time: input.eventTimeMs,
    });
    this.record(s, changeOf(identity, 'firing', { atMs, startsAtMs: atMs }, value, annotations), emit);
  }

  /** Quiet periods, on the receive clock. */
  tick(nowMs: number, emit: Emit): void {
    const quietMs = this.rule.definition.resolveAfterMs;
    for (const s of [...this.live]) {
      if (nowMs - s.lastMatchMs < quietMs) continue;
      s.times = [];
      this.resolve(s, nowMs, emit);
    }
  }
}

/** Inserts keeping ascending order; equal times go after the ones already there. */
export function insertSorted(times: number[], t: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1] > t) i -= 1;
  times.splice(i, 0, t);
}

/** End time of the first run of `atLeast` sorted times spanning at most `withinMs`, if any. */
export function windowEnd(times: readonly number[], atLeast: number, withinMs: number): number | undefined {
  for (let i = 0; i + atLeast - 1 < times.length; i += 1) {
    const last = times[i + atLeast - 1];
    if (last - times[i] <= withinMs) return last;
  }
  return undefined;
}
