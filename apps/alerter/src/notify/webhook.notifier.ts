import { backoffDelayMs, errorText, postJson, sleep, type Backoff, type FetchFn } from './http-delivery';
import { iso, ZERO_TIME, type NotifiableAlert, type Notifier, type NotifyResult } from './notifiable-alert';

export interface WebhookNotifierOptions {
  /** ALERTER_WEBHOOK_URL */
  url: string;
  /** ALERTER_WEBHOOK_TOKEN: sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Total tries per alert, the first included (default 5). */
  attempts?: number;
  /** Back-off before the first retry, doubling up to maxBackoffMs (defaults 500 ms → 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Posts in flight at once (default 8); further alerts wait their turn. */
  maxConcurrent?: number;
  /** `externalURL` of the payload (the control-api's address, say); default "". */
  externalURL?: string;
  fetch?: FetchFn;
  random?: () => number;
  now?: () => number;
}

/**
 * Called once for an alert that could not be delivered (after the last retry, on a permanent
 * error, or when closed mid-retry); the runtime writes it to the DLQ topic. Its errors are
 * reported in the result, never thrown.
 */
export type DeadLetter = (alert: NotifiableAlert, reason: string) => Promise<void> | void;

/** Alertmanager's webhook payload (version 4), one alert per post. */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

export const WEBHOOK_RECEIVER = 'alerter';

/**
 * The payload Alertmanager's webhook receiver would send for a group of this one alert, so
 * receivers written for Alertmanager work unchanged. The group key carries the fingerprint:
 * receivers that deduplicate by groupKey (incident tools) must not fold two alerts of one rule
 * into one incident, nor resolve one alert's incident with another's resolve.
 */
export function webhookPayload(alert: NotifiableAlert, externalURL: string, nowMs: number): WebhookPayload {
  const alertname = alert.labels.alertname ?? '';
  const groupLabels = { alertname };
  const endsAt = alert.state === 'resolved' ? iso(alert.endsAt ?? nowMs) : ZERO_TIME;
  return {
    version: '4',
    groupKey: `{}:{alertname=${JSON.stringify(alertname)}, fingerprint=${JSON.stringify(alert.fingerprint)}}`,
    truncatedAlerts: 0,
    status: alert.state,
    receiver: WEBHOOK_RECEIVER,
    groupLabels,
    commonLabels: { ...alert.labels },
    commonAnnotations: { ...alert.annotations },
    externalURL,
    alerts: [
      {
        status: alert.state,
        labels: { ...alert.labels },
        annotations: { ...alert.annotations },
        startsAt: iso(alert.startsAt),
        endsAt,
        generatorURL: alert.generatorURL ?? '',
        fingerprint: alert.fingerprint,
      },
    ],
  };
}

/**
 * Direct webhook for teams without an Alertmanager. Each alert is posted on its own, retried on
 * timeouts, connection errors, 5xx, 408 and 429 (honouring Retry-After up to the back-off cap)
 * with exponential back-off and jitter; other 4xx are permanent. What is not delivered goes to
 * the dead letter. Alerts are independent: one slow alert never delays another.
 */
export class WebhookNotifier implements Notifier {
  private readonly attempts: number;
  private readonly backoff: Backoff;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly closing = new AbortController();
  private readonly inFlight = new Set<Promise<NotifyResult>>();
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly options: WebhookNotifierOptions,
    private readonly deadLetter: DeadLetter,
  ) {
    this.attempts = Math.max(1, options.attempts ?? 5);
    this.backoff = { initialMs: options.initialBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 30_000 };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 8);
  }

  notify(alert: NotifiableAlert): Promise<NotifyResult> {
    const run = this.inTurn(() => this.deliver(alert)).catch((error: unknown): NotifyResult => ({
      ok: false,
      attempts: 0,
      detail: `notifier error: ${errorText(error)}`,
    }));
    this.inFlight.add(run);
    return run.finally(() => this.inFlight.delete(run));
  }

  /** Stops retries (those alerts are dead-lettered as "closed") and waits for them to settle. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  // Bounds concurrent posts (an alert storm must not open thousands of connections); an alert
  // waiting for its turn during close() still goes through deliver(), which dead-letters it.
  private async inTurn<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async deliver(alert: NotifiableAlert): Promise<NotifyResult> {
    const signal = this.closing.signal;
    if (signal.aborted) return this.fail(alert, 0, 'notifier closed before delivery');
    const payload = webhookPayload(alert, this.options.externalURL ?? '', (this.options.now ?? Date.now)());
    let last = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      const outcome = await postJson(this.options.url, payload, {
        timeoutMs: this.timeoutMs,
        headers: this.headers,
        fetch: this.options.fetch,
        signal,
      });
      switch (outcome.kind) {
        case 'ok':
          return { ok: true, attempts: attempt, detail: outcome.detail };
        case 'permanent':
          return this.fail(alert, attempt, `permanent failure: ${outcome.detail}`);
        case 'retry': {
          last = outcome.detail;
          if (attempt === this.attempts) break;
          const backoff = backoffDelayMs(attempt, this.backoff, this.options.random);
          const wait = Math.min(this.backoff.maxMs, Math.max(backoff, outcome.retryAfterMs ?? 0));
          if (!(await sleep(wait, signal)))
            return this.fail(alert, attempt, `notifier closed during retries: ${last}`);
          break;
        }
      }
      if (signal.aborted) return this.fail(alert, attempt, `notifier closed during retries: ${last}`);
    }
    return this.fail(alert, this.attempts, `gave up after ${this.attempts} attempts: ${last}`);
  }

  private async fail(alert: NotifiableAlert, attempts: number, reason: string): Promise<NotifyResult> {
    try {
      await this.deadLetter(alert, reason);
      return { ok: false, attempts, detail: `${reason} (dead-lettered)` };
    } catch (error) {
      return { ok: false, attempts, detail: `${reason} (dead letter failed: ${errorText(error)})` };
    }
  }
}
