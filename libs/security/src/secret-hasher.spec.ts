import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { MIN_SECRET_LENGTH, SecretHasher } from './secret-hasher';

const SECRET = 'x'.repeat(MIN_SECRET_LENGTH);

describe('SecretHasher', () => {
  const hasher = new SecretHasher(SECRET);

  it('is the hex HMAC-SHA256 of purpose NUL value', () => {
    const expected = createHmac('sha256', SECRET).update('agent-key\0ak_value').digest('hex');
    expect(hasher.digest('agent-key', 'ak_value')).toBe(expected);
  });

  it('refuses a secret shorter than MIN_SECRET_LENGTH', () => {
    expect(() => new SecretHasher('x'.repeat(MIN_SECRET_LENGTH - 1))).toThrow(/at least 32/);
    expect(() => new SecretHasher('')).toThrow(Error);
  });

  it('depends on the secret and on the purpose', () => {
    const other = new SecretHasher('y'.repeat(MIN_SECRET_LENGTH));
    expect(other.digest('agent-key', 'v')).not.toBe(hasher.digest('agent-key', 'v'));
    expect(hasher.digest('sql-token', 'v')).not.toBe(hasher.digest('agent-key', 'v'));
  });

  it('refuses a purpose that could run into the value', () => {
    expect(() => hasher.digest('a\0b', 'c')).toThrow(/NUL/);
    expect(() => hasher.digest('', 'c')).toThrow(/NUL/);
  });

  it('matches a digest in either hex case and nothing else', () => {
    const digest = hasher.digest('sql-token', 'token');
    expect(hasher.matches('sql-token', 'token', digest)).toBe(true);
    expect(hasher.matches('sql-token', 'token', digest.toUpperCase())).toBe(true);
    expect(hasher.matches('sql-token', 'token2', digest)).toBe(false);
    expect(hasher.matches('agent-key', 'token', digest)).toBe(false);
    expect(hasher.matches('sql-token', 'token', digest.slice(2))).toBe(false);
    expect(hasher.matches('sql-token', 'token', `${digest.slice(0, 62)}zz`)).toBe(false);
    expect(hasher.matches('sql-token', 'token', '')).toBe(false);
  });

  it('never shows its secret', () => {
    expect(inspect(hasher, { showHidden: true, depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify(hasher)).not.toContain(SECRET);
  });
});
