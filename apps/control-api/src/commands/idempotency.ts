import { createHash } from 'node:crypto';
import { fail } from '../http/problem';

/** JSON with object keys sorted at every level: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 (hex) of the canonical JSON of a validated request body: what a retry with the same
 * Idempotency-Key must repeat. A field left out is not the same as its default written out.
 */
export function requestHash(body: object): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;

/** The `Idempotency-Key` header: absent, or 1 to 200 printable ASCII characters (else 400). */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header))
    fail(
      'invalid_request',
      '/header/idempotency-key: Idempotency-Key must be 1 to 200 printable ASCII characters',
      '/header/idempotency-key',
    );
  return header;
}

/** What a request with an Idempotency-Key finds already recorded under that key. */
export interface PriorRequest {
  commandId: string;
  requestHash: string;
}

/**
 * Whether a request with an Idempotency-Key repeats an earlier one: `new` (nothing under the
 * key), `replay` (the same body: answer with the earlier command), or a 409 when the key came
 * with another body.
 */
export function checkRetry(
  prior: PriorRequest | undefined,
  key: string,
  hash: string,
): { kind: 'new' } | { kind: 'replay'; commandId: string } {
  if (!prior) return { kind: 'new' };
  if (prior.requestHash !== hash)
    fail(
      'idempotency_key_reused',
      `Idempotency-Key ${JSON.stringify(key)} was used for command ${prior.commandId} with a different request`,
      '/header/idempotency-key',
    );
  return { kind: 'replay', commandId: prior.commandId };
}

/**
 * Serializes the requests that share one key within this process: a duplicate sent while the
 * first is still being written waits for it, then finds its command (or, if it failed, goes
 * ahead itself). Across processes the topic decides (see README, "Commands API").
 */
export class KeyedSerializer {
  private readonly running = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    for (let busy = this.running.get(key); busy; busy = this.running.get(key)) {
      await busy.catch(() => undefined);
    }
    const task = work();
    this.running.set(key, task);
    try {
      return await task;
    } finally {
      if (this.running.get(key) === task) this.running.delete(key);
    }
  }

  get size(): number {
    return this.running.size;
  }
}
