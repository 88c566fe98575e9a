import { backoffDelayMs, errorText, postJson, sleep, type Backoff, type FetchFn } from './http-delivery';
import { iso, type NotifiableAlert, type Notifier, type NotifyResult } from './notifiable-alert';

export interface AlertmanagerNotifierOptions {
  /** ALERTER_ALERTMANAGER_URL: Alertmanager's base URL (alerts go to <url>/api/v2/alerts). */
  url: string;
  /** While an alert fires it is re-sent this often (default 60 s, Prometheus' resend delay). */
  resendIntervalMs?: number;
  /** Alerts notified within this window share one post (default 50 ms). */
  lingerMs?: number;
  /** Alerts per post (default 1000). */
  maxBatch?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Tries per post, the first included (default 3); a firing alert is re-sent anyway later. */
  attempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  fetch?: FetchFn;
  random?: () => number;
  now?: () => number;
}

/** An alert as Alertmanager's POST /api/v2/alerts takes it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface AlertmanagerNotifierStats {
  posts: number;
  failedPosts: number;
  retries: number;
  alertsPosted: number;
  resends: number;
}

interface Pending {
  body: PostableAlert;
  waiters: ((result: NotifyResult) => void)[];
}

interface Active {
  alert: NotifiableAlert;
  nextResendAt: number;
}

/**
 * Pushes alerts to Alertmanager the way Prometheus does, so teams keep their routing, grouping,
 * silences and inhibition. A firing alert is posted at once and then re-posted every resend
 * interval with endsAt = now + 4 × interval: should the alerter die, Alertmanager resolves it by
 * itself after four missed resends. A resolve is posted once with its end time and the alert
 * leaves the resend set. Posts go out one at a time, in notify() order, so a resolve never
 * overtakes the firing it ends.
 */
export class AlertmanagerNotifier implements Notifier {
  private readonly endpoint: string;
  private readonly resendMs: number;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly attempts: number;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly active = new Map<string, Active>();
  private readonly pending = new Map<string, Pending>();
  private readonly closing = new AbortController();
  private readonly counters: AlertmanagerNotifierStats = {
    posts: 0,
    failedPosts: 0,
    retries: 0,
    alertsPosted: 0,
    resends: 0,
  };
  private readonly resendTicker: NodeJS.Timeout;
  private lingerTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: AlertmanagerNotifierOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.resendMs = options.resendIntervalMs ?? 60_000;
    this.lingerMs = options.lingerMs ?? 50;
    this.maxBatch = Math.max(1, options.maxBatch ?? 1000);
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.backoff = { initialMs: options.initialBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 10_000 };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    // Resends are due at most one tick late: a second at the default interval.
    const tickMs = Math.min(1000, Math.max(10, Math.floor(this.resendMs / 10)));
    this.resendTicker = setInterval(() => this.resendDue(), tickMs);
    this.resendTicker.unref();
  }

  notify(alert: NotifiableAlert): Promise<NotifyResult> {
    if (this.closing.signal.aborted) {
      return Promise.resolve({ ok: false, attempts: 0, detail: 'notifier closed' });
    }
    const now = this.now();
    if (alert.state === 'firing') {
      this.active.set(alert.fingerprint, { alert, nextResendAt: now + this.resendMs });
    } else {
      this.active.delete(alert.fingerprint);
    }
    return new Promise((resolve) => this.enqueue(alert.fingerprint, this.postable(alert, now), resolve));
  }

  /** The resend set: alerts firing now, to be kept by the alerter across restarts. */
  firing(): NotifiableAlert[] {
    return [...this.active.values()].map((a) => a.alert);
  }

  /**
   * Puts firing alerts back into the resend set after a restart, without posting them now:
   * Alertmanager still holds them (endsAt is four intervals ahead). Their first resend comes at a
   * random point of the next interval so a restart does not post everything at once.
   */
  restore(alerts: readonly NotifiableAlert[]): void {
    const now = this.now();
    for (const alert of alerts) {
      if (alert.state !== 'firing') continue;
      this.active.set(alert.fingerprint, { alert, nextResendAt: now + this.random() * this.resendMs });
    }
  }

  /**
   * Drops alerts from the resend set without posting anything: their partition moved to another
   * alerter, which restores and resends them from now on.
   */
  forget(fingerprints: Iterable<string>): void {
    for (const fingerprint of fingerprints) this.active.delete(fingerprint);
  }

  stats(): AlertmanagerNotifierStats {
    return { ...this.counters };
  }

  /** Posts what is pending (one try each), then stops resending. */
  async close(): Promise<void> {
    this.closing.abort();
    clearInterval(this.resendTicker);
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.pending.size > 0) await this.flush();
    else await this.flushing;
  }

  private postable(alert: NotifiableAlert, now: number): PostableAlert {
    const ends = alert.state === 'firing' ? now + 4 * this.resendMs : (alert.endsAt ?? now);
    // Alertmanager rejects an alert that ends before it starts, and drops empty label values anyway.
    const labels = Object.fromEntries(Object.entries(alert.labels).filter(([, v]) => v !== ''));
    const body: PostableAlert = {
      labels,
      annotations: { ...alert.annotations },
      startsAt: iso(alert.startsAt),
      endsAt: iso(Math.max(ends, alert.startsAt)),
    };
    if (alert.generatorURL) body.generatorURL = alert.generatorURL;
    return body;
  }

  private resendDue(): void {
    const now = this.now();
    for (const [fingerprint, entry] of this.active) {
      if (entry.nextResendAt > now) continue;
      entry.nextResendAt = now + this.resendMs;
      this.counters.resends++;
      this.enqueue(fingerprint, this.postable(entry.alert, now));
    }
  }

  // One entry per fingerprint: a newer state replaces an older one not yet posted (its waiters
  // then learn the fate of the newer state) and moves to the back of the queue.
  private enqueue(fingerprint: string, body: PostableAlert, waiter?: (result: NotifyResult) => void): void {
    const earlier = this.pending.get(fingerprint);
    this.pending.delete(fingerprint);
    const waiters = earlier?.waiters ?? [];
    if (waiter) waiters.push(waiter);
    this.pending.set(fingerprint, { body, waiters });
    if (this.flushing) return;
    if (this.pending.size >= this.maxBatch) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      this.flushInBackground();
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.flushInBackground();
      }, this.lingerMs);
    }
  }

  /** A post's failures are counted and retried by drain(); this only keeps a bug from ending the process. */
  private flushInBackground(): void {
    this.flush().catch(() => undefined);
  }

  private flush(): Promise<void> {
    this.flushing ??= this.drain();
    return this.flushing;
  }

  private async drain(): Promise<void> {
    // Let flush() store this promise before the loop can end and clear it.
    await Promise.resolve();
    try {
      while (this.pending.size > 0) {
        const batch: Pending[] = [];
        for (const [fingerprint, entry] of this.pending) {
          if (batch.length === this.maxBatch) break;
          batch.push(entry);
          this.pending.delete(fingerprint);
        }
        const result = await this.post(batch.map((p) => p.body));
        for (const entry of batch) for (const resolve of entry.waiters) resolve(result);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async post(alerts: PostableAlert[]): Promise<NotifyResult> {
    let last = '';
    for (let attempt = 1; ; attempt++) {
      this.counters.posts++;
      const outcome = await postJson(this.endpoint, alerts, {
        timeoutMs: this.options.timeoutMs ?? 10_000,
        fetch: this.options.fetch,
      }).catch((error: unknown) => ({ kind: 'retry' as const, status: 0, detail: errorText(error) }));
      if (outcome.kind === 'ok') {
        this.counters.alertsPosted += alerts.length;
        return { ok: true, attempts: attempt, detail: `${alerts.length} alert(s) posted: ${outcome.detail}` };
      }
      this.counters.failedPosts++;
      last = outcome.detail;
      // 400 means some alerts were invalid (Alertmanager kept the valid ones): no retry.
      if (outcome.kind === 'permanent') return { ok: false, attempts: attempt, detail: `rejected: ${last}` };
      if (attempt >= this.attempts || this.closing.signal.aborted) {
        return { ok: false, attempts: attempt, detail: `failed after ${attempt} attempt(s): ${last}` };
      }
      this.counters.retries++;
      await sleep(backoffDelayMs(attempt, this.backoff, this.random), this.closing.signal);
    }
  }
}
