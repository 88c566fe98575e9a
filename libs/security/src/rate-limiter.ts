import { Clock, systemClock } from './clock';

export type RateDecision = { allowed: true; suppressed: number } | { allowed: false };

/**
 * At most `max` events per fixed window of `intervalMs`. Meant for log lines a peer can provoke
 * (failed logins): a flood of them must not fill the disk or drown other lines, but the count of
 * what was left out is handed to the next allowed event so the flood stays visible.
 */
export class RateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private suppressed = 0;

  constructor(
    private readonly max: number,
    private readonly intervalMs: number,
    private readonly now: Clock = systemClock,
  ) {
    if (!(max >= 1) || !(intervalMs > 0)) throw new Error('RateLimiter needs max >= 1 and intervalMs > 0');
  }

  take(): RateDecision {
    const now = this.now();
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.max) {
      this.suppressed++;
      return { allowed: false };
    }
    this.used++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { allowed: true, suppressed };
  }
}
