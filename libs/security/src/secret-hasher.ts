import { createHmac, createSecretKey, KeyObject, timingSafeEqual } from 'node:crypto';

/** 32 characters: enough for 128 bits even when the secret is hex (`openssl rand -hex 32` gives 64). */
export const MIN_SECRET_LENGTH = 32;

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Keyed hashes of credentials (agent keys, API tokens). A plain hash of a short credential can be
 * brute-forced offline by anyone who sees it; an HMAC under a server-side secret cannot, so
 * digests and anything derived from them may be stored and shown.
 *
 * `purpose` separates the uses of one secret: the digest of a value for 'agent-key' says nothing
 * about its digest for 'sql-token'. Purposes are fixed strings of our code and may not contain
 * NUL, so `${purpose}\0${value}` is unambiguous for every value.
 */
export class SecretHasher {
  /** A KeyObject, not a string field: the secret never shows up in a log of this object or in JSON. */
  readonly #key: KeyObject;

  constructor(secret: string) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`the hash secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.#key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** Hex HMAC-SHA256 of `${purpose}\0${value}`. */
  digest(purpose: string, value: string): string {
    if (purpose === '' || purpose.includes('\0'))
      throw new Error('purpose must be non-empty text without NUL');
    return createHmac('sha256', this.#key).update(`${purpose}\0${value}`, 'utf8').digest('hex');
  }

  /** Whether `value` digests to `expectedHex`, compared in constant time. */
  matches(purpose: string, value: string, expectedHex: string): boolean {
    const actual = Buffer.from(this.digest(purpose, value), 'hex');
    if (!HEX_SHA256.test(expectedHex)) return false;
    return timingSafeEqual(actual, Buffer.from(expectedHex, 'hex'));
  }
}
