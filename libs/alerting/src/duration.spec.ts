import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['7d', 7 * 86_400_000],
    ['1w', 7 * 86_400_000],
    ['1m30s250ms', 90_250],
    ['0', 0],
    ['0s', 0],
    [' 5m ', 300_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '5', '5 m', '1.5h', '-1s', '30m1h', '1m1m', '1y', '5M', 'ms', '1h 30m'])(
    'rejects %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(/duration/);
    },
  );

  it('rejects numbers: the unit must be written', () => {
    expect(() => parseDuration(90)).toThrow('duration 90 has no unit');
  });

  it('rejects values beyond safe integers', () => {
    expect(() => parseDuration('99999999999999999999d')).toThrow('too large');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [7 * 86_400_000, '7d'],
    [86_400_000 + 1, '1d1ms'],
  ])('%d → %s, and back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });

  it('refuses negative or fractional values', () => {
    expect(() => formatDuration(-1)).toThrow();
    expect(() => formatDuration(1.5)).toThrow();
  });
});
