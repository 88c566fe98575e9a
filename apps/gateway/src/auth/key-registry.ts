/**
 * Who an agent key belongs to. `agentId` and `keyId` are keyed hashes (see AgentKeyHasher): safe
 * to log and to store, useless for guessing the key.
 */
export interface AgentPrincipal {
  tenantId: string;
  agentId: string;
  keyId: string;
}

export type KeyLookup =
  | { status: 'valid'; principal: AgentPrincipal }
  | { status: 'unknown' }
  | { status: 'revoked'; keyId: string };

/**
 * The auth registry seen by the gateway. Today it is loaded from configuration; a later issue
 * replaces it with a projection of the compacted keys topic behind the same interface.
 */
export interface KeyRegistry {
  lookup(agentKey: string): KeyLookup;
}

export const KEY_REGISTRY = Symbol('KEY_REGISTRY');
