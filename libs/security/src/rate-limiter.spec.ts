import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  let now = 1_000;
  const clock = () => now;

  it('allows max events per interval and reports what it suppressed to the next allowed one', () => {
    const limiter = new RateLimiter(2, 1000, clock);
    expect(limiter.take()).toEqual({ allowed: true, suppressed: 0 });
    expect(limiter.take()).toEqual({ allowed: true, suppressed: 0 });
    expect(limiter.take()).toEqual({ allowed: false });
    expect(limiter.take()).toEqual({ allowed: false });
    now += 999;
    expect(limiter.take()).toEqual({ allowed: false });
    now += 1;
    expect(limiter.take()).toEqual({ allowed: true, suppressed: 3 });
    expect(limiter.take()).toEqual({ allowed: true, suppressed: 0 });
    expect(limiter.take()).toEqual({ allowed: false });
  });

  it('starts a new window after a quiet period', () => {
    const limiter = new RateLimiter(1, 1000, clock);
    expect(limiter.take().allowed).toBe(true);
    now += 60_000;
    expect(limiter.take()).toEqual({ allowed: true, suppressed: 0 });
  });

  it('refuses nonsense limits', () => {
    expect(() => new RateLimiter(0, 1000)).toThrow();
    expect(() => new RateLimiter(1, 0)).toThrow();
  });
});
