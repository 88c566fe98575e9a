// Durations as Prometheus writes them: "90s", "2m", "1h30m", "500ms", "7d", "1w". Units must
// come largest first and at most once each, so a value has one spelling that reads back the same.
// Bare numbers are rejected on purpose: `for: 90` could mean seconds or milliseconds, and a rule
// that silently waits 1000× too long is worse than one that does not load.

const UNITS: readonly (readonly [string, number])[] = [
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const UNIT_MS = new Map(UNITS);
const PART = /(\d+)(ms|w|d|h|m|s)/y;

/** Milliseconds for a duration such as "1h30m"; throws an Error naming the problem otherwise. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    throw new Error(`duration ${text} has no unit: write it as a string such as "${text}s" or "${text}ms"`);
  }
  if (typeof text !== 'string')
    throw new Error(`duration must be a string such as "90s", got ${typeof text}`);
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') throw new Error('duration is empty: write for example "90s", "2m" or "1h30m"');
  let total = 0;
  let position = 0;
  let lastRank = -1;
  while (position < input.length) {
    PART.lastIndex = position;
    const match = PART.exec(input);
    if (!match) {
      throw new Error(`invalid duration "${text}": expected <number><unit> with unit ms, s, m, h, d or w`);
    }
    const unit = match[2];
    const rank = UNITS.findIndex(([name]) => name === unit);
    if (rank <= lastRank) {
      throw new Error(`invalid duration "${text}": units must appear once each, largest first`);
    }
    lastRank = rank;
    total += Number(match[1]) * (UNIT_MS.get(unit) ?? 0);
    position = PART.lastIndex;
  }
  if (!Number.isSafeInteger(total)) throw new Error(`duration "${text}" is too large`);
  return total;
}

/** The canonical spelling of a duration, the inverse of parseDuration: 90_000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`cannot format duration ${ms}`);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    if (unit === 'w') continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
