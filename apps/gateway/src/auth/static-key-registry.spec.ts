import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { StaticKeyRegistry } from './static-key-registry';
import { authenticate } from './auth.interceptor';

const KEY_A = 'ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'ak_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

function bearer(value?: string | string[]): Metadata {
  const md = new Metadata();
  for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value])
    md.add('authorization', v);
  return md;
}

describe('StaticKeyRegistry', () => {
  it('assigns the default tenant and a stable agent id derived from the key', () => {
    const one = StaticKeyRegistry.fromConfig(KEY_A, undefined).lookup(KEY_A);
    const two = StaticKeyRegistry.fromConfig(`${KEY_B},${KEY_A}`, undefined).lookup(KEY_A);
    expect(one).toEqual(two);
    expect(one.status === 'valid' && one.principal.tenantId).toBe('default');
    expect(one.status === 'valid' && one.principal.agentId).toMatch(/^ag_[0-9a-f]{20}$/);
  });

  it('reads tenants, comments and revocations from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `# fleet keys\nacme:${KEY_A}  # prod\n\n!globex:${KEY_B}\n`);
    const registry = StaticKeyRegistry.fromConfig(undefined, file);
    const a = registry.lookup(KEY_A);
    expect(a.status === 'valid' && a.principal.tenantId).toBe('acme');
    expect(registry.lookup(KEY_B)).toEqual({ status: 'revoked' });
    expect(registry.lookup('ak_unknownunknownunknown')).toEqual({ status: 'unknown' });
  });

  it('keeps no plaintext key in memory', () => {
    const registry = StaticKeyRegistry.fromConfig(KEY_A, undefined);
    expect(
      JSON.stringify([...(registry as unknown as { byHash: Map<string, unknown> }).byHash]),
    ).not.toContain(KEY_A);
  });

  it.each([
    ['a malformed key', 'ak_short', /agent key must match/],
    ['a hostile tenant', `../etc:${KEY_A}`, /tenant must match/],
    ['no key at all', ' , ', /no agent key configured/],
    ['one key in two tenants', `a:${KEY_A},b:${KEY_A}`, /two tenants/],
  ])('refuses %s with an error naming the source', (_label, value, message) => {
    expect(() => StaticKeyRegistry.fromConfig(value, undefined)).toThrow(message);
  });

  it('names the file when it cannot be read', () => {
    expect(() => StaticKeyRegistry.fromConfig(undefined, '/nonexistent/keys')).toThrow(/AGENT_KEYS_FILE/);
  });
});

describe('authenticate', () => {
  const registry = StaticKeyRegistry.fromConfig(`${KEY_A},!${KEY_B}`, undefined);

  it('accepts a valid bearer key', () => {
    const result = authenticate(registry, bearer(`Bearer ${KEY_A}`));
    expect(result.ok).toBe(true);
  });

  it.each([
    ['missing', undefined, /missing/],
    ['empty', '', /Bearer/],
    ['wrong scheme', `Basic ${KEY_A}`, /Bearer/],
    ['no scheme', KEY_A, /Bearer/],
    ['malformed key', 'Bearer ak_!!', /malformed/],
    ['oversized key', `Bearer ak_${'x'.repeat(5000)}`, /malformed/],
    ['unknown key', 'Bearer ak_zzzzzzzzzzzzzzzzzzzzzzzz', /unknown/],
    ['revoked key', `Bearer ${KEY_B}`, /revoked/],
    ['two values', [`Bearer ${KEY_A}`, `Bearer ${KEY_A}`], /more than one/],
  ])('rejects %s authorization', (_label, value, reason) => {
    const result = authenticate(registry, bearer(value));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});
