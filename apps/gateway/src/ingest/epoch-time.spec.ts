import { toEpochMs } from './epoch-time';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const DAY = 86_400_000;

describe('toEpochMs', () => {
  const ms = NOW - 1234;
  it.each([
    ['seconds', String(Math.floor(ms / 1000)), Math.floor(ms / 1000) * 1000],
    ['milliseconds', String(ms), ms],
    ['microseconds', `${ms}123`, ms],
    ['nanoseconds', `${ms}123456`, ms],
    ['a number', ms, ms],
  ])('normalizes %s', (_unit, raw, expected) => {
    expect(toEpochMs(raw, NOW, DAY)).toEqual({ ok: true, ms: expected });
  });

  it.each([
    ['negative', '-5', /negative/],
    ['zero', '0', /before the year 2000/],
    ['1970s seconds', '86400', /before the year 2000/],
    ['far future', String(NOW + 2 * DAY), /future/],
    ['max int64', '9223372036854775807', /future/],
    ['not a number', 'abc', /not an integer/],
  ])('rejects %s', (_label, raw, detail) => {
    const result = toEpochMs(raw, NOW, DAY);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail).toMatch(detail);
  });
});
