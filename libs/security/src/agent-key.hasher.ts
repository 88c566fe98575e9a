import type { SecretHasher } from './secret-hasher';

/**
 * Who an agent key belongs to. `agentId` and `keyId` are keyed hashes (see AgentKeyHasher), or
 * for keys issued through the control API, the ids of their key record: safe to log and to store,
 * useless for guessing the key.
 */
export interface AgentPrincipal {
  tenantId: string;
  agentId: string;
  keyId: string;
}

/** SecretHasher purposes: one secret, three unrelated digests. */
const PURPOSE = { key: 'agent-key', agentId: 'agent-id', keyId: 'key-id' } as const;

/**
 * Agent keys are kept only as HMACs under AUTH_HASH_SECRET, and the ids that leave the gateway
 * (the agent id in every Kafka header and ClickHouse row, the key id in logs) are HMACs of that
 * HMAC. Whoever sees them cannot test a guessed key without the secret. The ids are stable across
 * restarts and across gateways sharing the secret; a new secret gives every key a new agent id
 * and key id. The control API derives the ids of the keys it issues the same way, so a key
 * id means the same thing in the gateway's logs and in the API.
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
