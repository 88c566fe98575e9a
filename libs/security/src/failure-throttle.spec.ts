import { FailureThrottle } from './failure-throttle';

describe('FailureThrottle', () => {
  let now = 0;
  const clock = () => now;
  const throttle = (burst = 3, refillPerSecond = 1, maxTracked = 100) =>
    new FailureThrottle({ burst, refillPerSecond, maxTracked, now: clock });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('throttles a key after `burst` failures and lets it try again as tokens come back', () => {
    const t = throttle(3, 2);
    for (let i = 0; i < 3; i++) {
      expect(t.isThrottled('a')).toBe(false);
      t.recordFailure('a');
    }
    expect(t.isThrottled('a')).toBe(true);
    now += 499;
    expect(t.isThrottled('a')).toBe(true);
    now += 1;
    expect(t.isThrottled('a')).toBe(false);
    t.recordFailure('a');
    expect(t.isThrottled('a')).toBe(true);
  });

  it('never lets the bucket go negative or beyond burst', () => {
    const t = throttle(2, 1);
    for (let i = 0; i < 50; i++) t.recordFailure('a');
    now += 1000;
    expect(t.isThrottled('a')).toBe(false);
    now += 3_600_000;
    t.recordFailure('a');
    t.recordFailure('a');
    expect(t.isThrottled('a')).toBe(true);
  });

  it('leaves other keys alone', () => {
    const t = throttle(1);
    t.recordFailure('attacker');
    expect(t.isThrottled('attacker')).toBe(true);
    expect(t.isThrottled('agent')).toBe(false);
  });

  it('drops buckets that refilled, then the least recently failed, to stay within maxTracked', () => {
    const t = throttle(2, 1, 3);
    t.recordFailure('old');
    now += 5000;
    t.recordFailure('b');
    t.recordFailure('b');
    t.recordFailure('c');
    t.recordFailure('d');
    expect(t.size).toBe(3);
    expect(t.isThrottled('b')).toBe(true);
    t.recordFailure('e');
    expect(t.size).toBe(3);
    expect(t.isThrottled('b')).toBe(false);
    t.recordFailure('e');
    expect(t.isThrottled('e')).toBe(true);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const t = throttle(5, 1, 1000);
    for (let i = 0; i < 20_000; i++) t.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(t.size).toBeLessThanOrEqual(1000);
  });

  it('refuses nonsense settings', () => {
    expect(() => throttle(0)).toThrow();
    expect(() => throttle(1, 0)).toThrow();
    expect(() => throttle(1, 1, 0)).toThrow();
  });
});
