import { createHash } from 'node:crypto';

/** Keys are kept only as SHA-256 hashes; agent ids derive from the hash so they survive restarts. */
export function hashAgentKey(agentKey: string): string {
  return createHash('sha256').update(agentKey, 'utf8').digest('hex');
}

export function agentIdFor(tenantId: string, keyHash: string): string {
  return `ag_${createHash('sha256').update(`${tenantId}\0${keyHash}`).digest('hex').slice(0, 20)}`;
}

export function keyIdFor(keyHash: string): string {
  return keyHash.slice(0, 12);
}
