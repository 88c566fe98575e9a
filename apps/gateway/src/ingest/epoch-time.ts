/** Year 2000: anything earlier from an agent is a broken clock or a unit mistake. */
export const EARLIEST_PLAUSIBLE_MS = Date.UTC(2000, 0, 1);

export type EpochResult = { ok: true; ms: number } | { ok: false; detail: string };

/**
 * The seed does not fix the unit of its int64 timestamps: seconds, milliseconds, microseconds or
 * nanoseconds are told apart by magnitude (each unit's plausible range is disjoint from the next).
 */
export function toEpochMs(
  raw: string | number | bigint,
  nowMs: number,
  maxFutureSkewMs: number,
): EpochResult {
  let value: bigint;
  try {
    value = BigInt(raw);
  } catch {
    return { ok: false, detail: `timestamp ${String(raw)} is not an integer` };
  }
  if (value < 0n) return { ok: false, detail: `negative timestamp ${value}` };
  const ms = value <= BigInt(Number.MAX_SAFE_INTEGER) ? scaleToMs(Number(value)) : scaleBigToMs(value);
  if (ms < EARLIEST_PLAUSIBLE_MS) return { ok: false, detail: `timestamp ${value} is before the year 2000` };
  if (ms > nowMs + maxFutureSkewMs)
    return { ok: false, detail: `timestamp ${value} is too far in the future` };
  return { ok: true, ms };
}

/**
 * toEpochMs for a non-negative safe integer without allocating: the epoch ms, or -1 when the
 * timestamp is not plausible (the wire reader's hot path; toEpochMs words the reason).
 */
export function plausibleEpochMs(value: number, nowMs: number, maxFutureSkewMs: number): number {
  const ms = scaleToMs(value);
  return ms >= EARLIEST_PLAUSIBLE_MS && ms <= nowMs + maxFutureSkewMs ? ms : -1;
}

/** For safe integers; the remainder is taken off before dividing, so no rounding carries over. */
function scaleToMs(value: number): number {
  if (value < 100_000_000_000) return value * 1000; // seconds (until year 5138)
  if (value < 100_000_000_000_000) return value; // milliseconds
  if (value < 100_000_000_000_000_000) return (value - (value % 1000)) / 1000; // microseconds
  return (value - (value % 1_000_000)) / 1_000_000; // nanoseconds
}

function scaleBigToMs(value: bigint): number {
  if (value < 100_000_000_000_000_000n) return Number(value / 1000n);
  return Number(value / 1_000_000n);
}
