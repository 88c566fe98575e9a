import type { Activation } from '@app/alerting';
import { changeOf, renderAnnotations, type AlertLocation } from './alert.identity';
import type { Emit, StatsInput } from './engine.types';
import { SeriesRule, type BaseSeries } from './series.rule';

/**
 * A sample is its event time, negated when the condition was false: one number per sample keeps
 * a series small (event times are positive epoch ms; a time of 0 is treated as true).
 */
type Sample = number;
const timeOf = (sample: Sample): number => Math.abs(sample);
const matched = (sample: Sample): boolean => sample >= 0;

interface StatsSeries extends BaseSeries {
  where: AlertLocation;
  /** Newest sample time: the lateness bound of this series. */
  latestMs: number;
  /** Samples not older than latestMs − maxLatenessMs, in event-time order. */
  buf: Sample[];
  /** Samples older than that can no longer change: only the run they end with is kept. */
  frozen?: { match: boolean; startMs: number };
  /** The newest matching sample's stats (value and annotations are derived when emitting). */
  last?: StatsInput['stats'];
}

/** A firing stats alert whose container went silent resolves after max(keep_firing_for, this). */
export const STATS_SILENCE_MS = 5 * 60_000;

const STATS_FIELDS = [
  'cpu_percent',
  'memory_percent',
  'memory_usage',
  'memory_limit',
  'network_rx',
  'network_tx',
] as const;
type StatsField = (typeof STATS_FIELDS)[number];
const CAMEL: Record<StatsField, keyof StatsInput['stats']> = {
  cpu_percent: 'cpuPercent',
  memory_percent: 'memoryPercent',
  memory_usage: 'memoryUsage',
  memory_limit: 'memoryLimit',
  network_rx: 'networkRx',
  network_tx: 'networkTx',
};

/**
 * `source: stats`, per rule and container, in event time (Prometheus' `for` and
 * `keep_firing_for`, on the agent's samples rather than on scrape times).
 *
 * - A true sample at t0 after a false one (or at the start) → `pending`, startsAtMs = t0.
 * - True samples covering [t0, t] with t − t0 ≥ forMs and no false between → `firing` at t
 *   (forMs = 0: on the first true sample).
 * - A false sample while pending drops it: `resolved` is emitted so consumers see it end.
 * - While firing, a false sample at tf starts keep_firing_for: resolved by the first sample at
 *   ≥ tf + keepFiringForMs with no true sample since tf (at tf itself when it is 0); a true
 *   sample cancels it, so true/false/true within keep_firing_for is one alert and one change.
 * - A firing or pending alert whose series sends nothing for max(keepFiringForMs, 5 min) of
 *   receive time resolves in tick(now): a container that vanished never stays firing forever.
 *
 * Out of order: a sample older than the series' newest − maxLatenessMs is late (reported,
 * ignored); one inside the bound is inserted in event-time order and the runs above are
 * computed on the ordered samples. Transitions are only ever computed at the newest sample,
 * so a late sample cannot undo an alert that already fired.
 *
 * A series is created by its first true sample: false samples of a container that never matched
 * are not kept (most containers, most of the time). The cost: a late true sample arriving after
 * newer false ones of an untracked series starts a run it should not (at worst one `pending`,
 * or with for = 0 a short alert, ended by the next false sample).
 */
export class StatsRule extends SeriesRule<StatsSeries> {
  private fieldFor?: { when: string; field: StatsField };

  protected windowMs(): number {
    const d = this.rule.definition;
    return Math.max(d.forMs, d.keepFiringForMs, STATS_SILENCE_MS, this.ctx.maxLatenessMs);
  }

  protected containerLevel(): boolean {
    return true;
  }

  onStats(input: StatsInput, key: string, where: AlertLocation, activation: Activation, emit: Emit): void {
    const match = this.matches(activation);
    const t = input.eventTimeMs;
    const existing = this.series.get(key);
    if (!existing && !match) return;
    if (existing && t < existing.latestMs - this.ctx.maxLatenessMs) {
      this.ctx.late(input);
      return;
    }
    const s = this.obtain(key, () => ({ where, touchedMs: 0, latestMs: t, buf: [] }));
    if (!s) return;
    if (!s.alert && s.where.containerId !== where.containerId) {
      // Same name, new id (recreated): the next alert carries the new id; a live one keeps its own.
      s.where = where;
      s.identity = undefined;
    }
    s.touchedMs = Math.max(s.touchedMs, input.receivedAtMs);
    if (match && t >= s.latestMs) s.last = input.stats;
    insertSample(s.buf, match ? t : -t);
    s.latestMs = Math.max(s.latestMs, t);
    fold(s, s.latestMs - this.ctx.maxLatenessMs);
    this.step(s, emit);
  }

  private step(s: StatsSeries, emit: Emit): void {
    const { forMs, keepFiringForMs } = this.rule.definition;
    const now = timeOf(s.buf[s.buf.length - 1]);
    const state = s.alert?.state;
    if (state === 'firing') {
      const falseSince = runStart(s, false);
      if (falseSince !== undefined && now - falseSince >= keepFiringForMs) this.resolve(s, now, emit);
      return;
    }
    const trueSince = runStart(s, true);
    if (trueSince === undefined) {
      if (state === 'pending') this.resolve(s, now, emit);
      return;
    }
    if (now - trueSince >= forMs) this.emitState(s, 'firing', now, now, emit);
    else if (state !== 'pending') this.emitState(s, 'pending', now, trueSince, emit);
  }

  private emitState(
    s: StatsSeries,
    state: 'pending' | 'firing',
    atMs: number,
    startsAtMs: number,
    emit: Emit,
  ): void {
    const identity = this.identityOf(s);
    const value = s.last ? String(s.last[CAMEL[this.valueField()]]) : '';
    const facts = s.last ? snakeStats(s.last) : {};
    const annotations = renderAnnotations(this.rule.definition, identity, value, facts);
    this.record(s, changeOf(identity, state, { atMs, startsAtMs }, value, annotations), emit);
  }

  /** Silent series, on the receive clock. */
  tick(nowMs: number, emit: Emit): void {
    const silenceMs = Math.max(this.rule.definition.keepFiringForMs, STATS_SILENCE_MS);
    for (const s of [...this.live]) {
      if (nowMs - s.touchedMs < silenceMs) continue;
      s.buf = [];
      s.frozen = undefined;
      this.resolve(s, nowMs, emit);
    }
  }

  /** The field a rule's value reports: the first stats field its condition names (cpu_percent by default). */
  private valueField(): StatsField {
    const when = this.rule.definition.when;
    if (this.fieldFor?.when !== when) {
      let best: StatsField = 'cpu_percent';
      let bestAt = Infinity;
      for (const field of STATS_FIELDS) {
        const at = when.indexOf(field);
        if (at >= 0 && at < bestAt) [best, bestAt] = [field, at];
      }
      this.fieldFor = { when, field: best };
    }
    return this.fieldFor.field;
  }
}

function insertSample(buf: Sample[], sample: Sample): void {
  const t = timeOf(sample);
  let i = buf.length;
  while (i > 0 && timeOf(buf[i - 1]) > t) i -= 1;
  if (i === buf.length) buf.push(sample);
  else buf.splice(i, 0, sample);
}

/** Moves samples older than the lateness horizon into the frozen run summary. */
function fold(s: StatsSeries, horizon: number): void {
  let n = 0;
  while (n < s.buf.length - 1 && timeOf(s.buf[n]) < horizon) {
    const sample = s.buf[n];
    if (s.frozen?.match !== matched(sample)) s.frozen = { match: matched(sample), startMs: timeOf(sample) };
    n += 1;
  }
  if (n > 0) s.buf.splice(0, n);
}

/** Start time of the run of samples with this outcome that ends at the newest sample, if it does. */
function runStart(s: StatsSeries, match: boolean): number | undefined {
  let start: number | undefined;
  for (let i = s.buf.length - 1; i >= 0; i -= 1) {
    if (matched(s.buf[i]) !== match) return start;
    start = timeOf(s.buf[i]);
  }
  if (s.frozen?.match === match) return s.frozen.startMs;
  return start;
}

function snakeStats(stats: StatsInput['stats']): Record<string, unknown> {
  return {
    cpu_percent: stats.cpuPercent,
    memory_percent: stats.memoryPercent,
    memory_usage: stats.memoryUsage,
    memory_limit: stats.memoryLimit,
    network_rx: stats.networkRx,
    network_tx: stats.networkTx,
  };
}
