import { AgentKeyEvent, AgentKeyEventKind } from '@app/contracts';
import { AgentKeyHasher, SecretHasher } from '@app/security';
import type { KeyRegistry } from './key-registry';
import { TopicKeyRegistry } from './topic-key-registry';

const hasher = new AgentKeyHasher(new SecretHasher('s'.repeat(32)));
const KEY = 'ak_issuedissuedissuedissuedissued01';
const none: KeyRegistry = { lookup: () => ({ status: 'unknown' }) };

function record(
  kind: AgentKeyEventKind,
  revision: number,
  extra: Partial<AgentKeyEvent> = {},
): AgentKeyEvent {
  return AgentKeyEvent.fromPartial({
    kind,
    keyId: 'abcdef012345',
    tenantId: 'acme',
    agentId: 'ag_0123456789abcdef0123',
    keyHmac: hasher.keyHmac(KEY),
    revision: String(revision),
    ...extra,
  });
}

describe('TopicKeyRegistry', () => {
  let now = 1_000_000;
  let registry: TopicKeyRegistry;
  const invalid: string[] = [];
  beforeEach(() => {
    invalid.length = 0;
    registry = new TopicKeyRegistry(hasher, none, () => now);
    registry.whenInvalid((id) => invalid.push(id));
  });
  afterEach(() => registry.close());

  it('accepts an issued key with the agent id of its record', () => {
    registry.apply(record(AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ISSUED, 1));
    expect(registry.lookup(KEY)).toEqual({
      status: 'valid',
      principal: { tenantId: 'acme', agentId: 'ag_0123456789abcdef0123', keyId: 'abcdef012345' },
    });
  });

  it('refuses a revoked key, tells it once, and ignores an older record read late', () => {
    registry.apply(record(AgentKeyEventKind.AGENT_KEY_EVENT_KIND_REVOKED, 2));
    registry.apply(record(AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ISSUED, 1));
    expect(registry.lookup(KEY)).toEqual({ status: 'revoked', keyId: 'abcdef012345' });
    expect(invalid).toEqual(['abcdef012345']);
  });

  it('accepts a rotated key until its grace ends, then refuses it and tells it', async () => {
    registry.apply(
      record(AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ROTATED, 2, { expiresAtMs: String(now + 1000) }),
    );
    expect(registry.lookup(KEY).status).toBe('valid');
    now += 1000;
    expect(registry.lookup(KEY).status).toBe('revoked');
    await new Promise((r) => setTimeout(r, 450));
    expect(invalid).toEqual(['abcdef012345']);
  });

  it('falls back to the keys from configuration', () => {
    expect(registry.lookup('ak_neverissuedneverissued0000')).toEqual({ status: 'unknown' });
  });
});
