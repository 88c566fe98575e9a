import type { AgentPrincipal } from '@app/security';

export type { AgentPrincipal };

export type KeyLookup =
  | { status: 'valid'; principal: AgentPrincipal }
  | { status: 'unknown' }
  | { status: 'revoked'; keyId: string };

/**
 * The auth registry seen by the gateway: keys from configuration (StaticKeyRegistry) and keys
 * issued through the control API (TopicKeyRegistry, a projection of the compacted keys topic).
 */
export interface KeyRegistry {
  lookup(agentKey: string): KeyLookup;
}

export const KEY_REGISTRY = Symbol('KEY_REGISTRY');
