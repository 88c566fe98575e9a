import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { AgentKeyHasher, SecretHasher } from '@app/security';
import { authenticate } from './auth.interceptor';
import { StaticKeyRegistry } from './static-key-registry';

const KEY_A = 'ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'ak_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const SECRET = 's'.repeat(64);
const hasher = new AgentKeyHasher(new SecretHasher(SECRET));
const load = (keys: string | undefined, file?: string, h = hasher) =>
  StaticKeyRegistry.fromConfig(keys, file, h);

function bearer(value?: string | string[]): Metadata {
  const md = new Metadata();
  for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value])
    md.add('authorization', v);
  return md;
}

function principalOf(registry: StaticKeyRegistry, key: string) {
  const found = registry.lookup(key);
  if (found.status !== 'valid') throw new Error(`expected a valid key, got ${found.status}`);
  return found.principal;
}

describe('StaticKeyRegistry', () => {
  it('assigns the default tenant and a stable agent id derived from the key', () => {
    const one = principalOf(load(KEY_A), KEY_A);
    expect(principalOf(load(`${KEY_B},${KEY_A}`), KEY_A)).toEqual(one);
    expect(one.tenantId).toBe('default');
    expect(one.agentId).toMatch(/^ag_[0-9a-f]{20}$/);
    expect(one.keyId).toMatch(/^[0-9a-f]{12}$/);
  });

  it('derives nothing a plain hash of the key would give: ids need the secret', () => {
    const plain = createHash('sha256').update(KEY_A).digest('hex');
    const { agentId, keyId } = principalOf(load(KEY_A), KEY_A);
    expect(plain.startsWith(keyId)).toBe(false);
    const plainAgentId = createHash('sha256').update(`default\0${plain}`).digest('hex').slice(0, 20);
    expect(agentId).not.toBe(`ag_${plainAgentId}`);
    const other = principalOf(
      load(KEY_A, undefined, new AgentKeyHasher(new SecretHasher('t'.repeat(64)))),
      KEY_A,
    );
    expect(other.agentId).not.toBe(agentId);
    expect(other.keyId).not.toBe(keyId);
  });

  it('gives one key different agent ids in different tenants', () => {
    const a = principalOf(load(`acme:${KEY_A}`), KEY_A);
    const b = principalOf(load(`globex:${KEY_A}`), KEY_A);
    expect(a.agentId).not.toBe(b.agentId);
    expect(a.keyId).toBe(b.keyId);
  });

  it('reads tenants, comments and revocations from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `# fleet keys\nacme:${KEY_A}  # prod\n\n!globex:${KEY_B}\n`);
    const registry = load(undefined, file);
    expect(principalOf(registry, KEY_A).tenantId).toBe('acme');
    const revoked = registry.lookup(KEY_B);
    expect(revoked.status).toBe('revoked');
    expect(revoked.status === 'revoked' && revoked.keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(registry.lookup('ak_unknownunknownunknownunknown')).toEqual({ status: 'unknown' });
  });

  it('keeps no plaintext key in memory', () => {
    const registry = load(KEY_A);
    const entries = (registry as unknown as { byHmac: Map<string, unknown> }).byHmac;
    expect(entries.size).toBe(1);
    expect(JSON.stringify([...entries])).not.toContain(KEY_A.slice(3));
  });

  it.each([
    ['a short key', `ak_${'a'.repeat(21)}`, /AGENT_KEYS entry 1: agent key must be ak_ followed by 22/],
    ['a key with punctuation', `ak_${'a'.repeat(30)}-_`, /AGENT_KEYS entry 1: agent key must be/],
    ['an oversized key', `ak_${'a'.repeat(201)}`, /AGENT_KEYS entry 1: agent key must be/],
    ['a bad third entry', `${KEY_A},${KEY_B},ak_short`, /AGENT_KEYS entry 3: /],
    ['a hostile tenant', `../etc:${KEY_A}`, /tenant must match/],
    ['one key in two tenants', `a:${KEY_A},b:${KEY_A}`, /two tenants/],
  ])('refuses %s with an error naming its position', (_label, value, message) => {
    expect(() => load(value)).toThrow(message);
  });

  it('may hold no key at all: then only issued keys (the keys topic) are accepted', () => {
    const registry = load(' , ');
    expect(registry.size).toBe(0);
    expect(registry.lookup(KEY_A)).toEqual({ status: 'unknown' });
    expect(load(undefined, undefined).size).toBe(0);
  });

  it('never names a refused key by its value', () => {
    const short = 'ak_Sh0rtButSecret';
    let message = '';
    try {
      load(`${KEY_A},x:${short}`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/AGENT_KEYS entry 2/);
    expect(message).not.toContain('Sh0rtButSecret');
  });

  it('names a bad line of the file by its number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `# fleet keys\n${KEY_A}\n\n\n\n\nak_tooShortToBeSafe\n`);
    expect(() => load(undefined, file)).toThrow(/^AGENT_KEYS_FILE line 7: /);
    expect(() => load(undefined, file)).not.toThrow(/tooShortToBeSafe/);
  });

  it('names the file when it cannot be read', () => {
    expect(() => load(undefined, '/nonexistent/keys')).toThrow(/AGENT_KEYS_FILE/);
  });
});

describe('authenticate', () => {
  const registry = load(`${KEY_A},!${KEY_B}`);

  it('accepts a valid bearer key', () => {
    const result = authenticate(registry, bearer(`Bearer ${KEY_A}`));
    expect(result.ok && result.agentKey).toBe(KEY_A);
  });

  it.each([
    ['missing', undefined, 'missing_metadata'],
    ['empty', '', 'bad_metadata'],
    ['wrong scheme', `Basic ${KEY_A}`, 'bad_metadata'],
    ['no scheme', KEY_A, 'bad_metadata'],
    ['two values', [`Bearer ${KEY_A}`, `Bearer ${KEY_A}`], 'bad_metadata'],
    ['malformed key', 'Bearer ak_!!', 'malformed_key'],
    ['short key', `Bearer ak_${'a'.repeat(21)}`, 'malformed_key'],
    ['oversized key', `Bearer ak_${'x'.repeat(5000)}`, 'malformed_key'],
    ['unknown key', 'Bearer ak_zzzzzzzzzzzzzzzzzzzzzzzz', 'unknown_key'],
    ['revoked key', `Bearer ${KEY_B}`, 'revoked_key'],
  ])('rejects %s authorization', (_label, value, reason) => {
    const result = authenticate(registry, bearer(value));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe(reason);
    expect(!result.ok && result.detail).not.toContain('zzzz');
  });
});
