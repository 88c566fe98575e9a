/** How a crashed component is restarted, and when to stop trying and leave it to the process manager. */
export interface RestartPolicyOptions {
  /** Delay before the first restart; it doubles with every further crash within the window. */
  minDelayMs: number;
  maxDelayMs: number;
  /** More crashes than this within `windowMs` (failed restarts included) and the component is given up. */
  maxRestarts: number;
  windowMs: number;
}

export type RestartDecision =
  { restart: true; delayMs: number; attempt: number } | { restart: false; crashes: number };

/**
 * Exponential back-off over the crashes of a sliding window. A component that stays up for a
 * whole window starts again from the shortest delay; one that keeps crashing is given up, so that
 * the process exits non-zero and its manager, which may know better (a new node, a fresh disk),
 * takes over.
 */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly options: RestartPolicyOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash (or a failed restart) and says whether and when to restart. */
  onCrash(): RestartDecision {
    const now = this.now();
    this.crashes = this.crashes.filter((at) => now - at < this.options.windowMs);
    this.crashes.push(now);
    const attempt = this.crashes.length;
    if (attempt > this.options.maxRestarts) return { restart: false, crashes: attempt };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.minDelayMs * 2 ** (attempt - 1));
    return { restart: true, delayMs, attempt };
  }
}
