import type { SecretHasher } from '@app/security';
import type { AgentPrincipal } from './key-registry';

/** SecretHasher purposes: one secret, three unrelated digests. */
const PURPOSE = { key: 'agent-key', agentId: 'agent-id', keyId: 'key-id' } as const;

/**
 * Agent keys are kept only as HMACs under AUTH_HASH_SECRET, and the ids that leave the gateway
 * (the agent id in every Kafka header and ClickHouse row, the key id in logs) are HMACs of that
 * HMAC. Whoever sees them cannot test a guessed key without the secret. The ids are stable across
 * restarts and across gateways sharing the secret; a new secret gives every key a new agent id
 * and key id.
 */
export class AgentKeyHasher {
  constructor(private readonly hasher: SecretHasher) {}

  /** The registry's lookup key; never leaves the gateway's memory. */
  keyHmac(agentKey: string): string {
    return this.hasher.digest(PURPOSE.key, agentKey);
  }

  principal(tenantId: string, keyHmac: string): AgentPrincipal {
    return {
      tenantId,
      // Tenants cannot contain NUL (TENANT_PATTERN), so the pair is unambiguous.
      agentId: `ag_${this.hasher.digest(PURPOSE.agentId, `${tenantId}\0${keyHmac}`).slice(0, 20)}`,
      keyId: this.keyId(keyHmac),
    };
  }

  keyId(keyHmac: string): string {
    return this.hasher.digest(PURPOSE.keyId, keyHmac).slice(0, 12);
  }
}
