/**
 * One HTTP POST of a JSON body, classified as ok / retry / permanent, and the back-off between
 * attempts. Shared by the Alertmanager and webhook notifiers.
 */
export type FetchFn = typeof fetch;

export type PostOutcome =
  | { kind: 'ok'; status: number; detail: string }
  | { kind: 'retry'; status: number; detail: string; retryAfterMs?: number }
  | { kind: 'permanent'; status: number; detail: string };

export interface PostOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  fetch?: FetchFn;
  /** Aborts the request (the notifier is closing). */
  signal?: AbortSignal;
}

const MAX_BODY_IN_DETAIL = 200;

export async function postJson(url: string, body: unknown, opts: PostOptions): Promise<PostOutcome> {
  const doFetch = opts.fetch ?? fetch;
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      signal,
    });
    const text = await res.text().catch(() => '');
    const detail = `HTTP ${res.status}${text ? `: ${text.slice(0, MAX_BODY_IN_DETAIL).trim()}` : ''}`;
    if (res.status >= 200 && res.status < 300) return { kind: 'ok', status: res.status, detail };
    if (isRetriableStatus(res.status)) {
      return { kind: 'retry', status: res.status, detail, retryAfterMs: retryAfterMs(res.headers) };
    }
    return { kind: 'permanent', status: res.status, detail };
  } catch (error) {
    const why = timeout.aborted
      ? `timed out after ${opts.timeoutMs} ms`
      : opts.signal?.aborted
        ? 'aborted: notifier closed'
        : errorText(error);
    return { kind: 'retry', status: 0, detail: why };
  }
}

/** 408, 429 and 5xx are worth another try; other 4xx (and 1xx/3xx left after redirects) are not. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry n (1-based): exponential, capped, with "equal jitter" (half fixed, half
 * random) so retries of many alerts spread out but never come back sooner than half the step.
 */
export function backoffDelayMs(retry: number, backoff: Backoff, random: () => number = Math.random): number {
  const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** A sleep that ends early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
