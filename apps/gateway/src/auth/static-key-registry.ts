import { readFileSync } from 'node:fs';
import type { AgentKeyHasher } from '@app/security';
import { AGENT_KEY_FORMAT, AGENT_KEY_PATTERN } from './bearer-token';
import { AgentPrincipal, KeyLookup, KeyRegistry } from './key-registry';

const TENANT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const DEFAULT_TENANT = 'default';

interface Entry {
  principal: AgentPrincipal;
  revoked: boolean;
}

/**
 * Keys from `AGENT_KEYS` (comma-separated) and/or `AGENT_KEYS_FILE` (one per line, `#` comments).
 * Each entry is `[tenant:]ak_…`; a leading `!` marks a revoked key. Only HMACs are kept, and a
 * bad entry is named by its position, never by its text, which may be a key. Having none is
 * allowed: the gateway then accepts only keys issued through the control API.
 *
 * Lookups by HMAC in a Map are not constant-time, which is fine: an HMAC under a secret the
 * caller does not know tells nothing about the key, however much of it leaks through timing.
 */
export class StaticKeyRegistry implements KeyRegistry {
  private readonly byHmac = new Map<string, Entry>();

  private constructor(private readonly hasher: AgentKeyHasher) {}

  static fromConfig(
    agentKeys: string | undefined,
    agentKeysFile: string | undefined,
    hasher: AgentKeyHasher,
  ): StaticKeyRegistry {
    const entries: { text: string; source: string }[] = [];
    (agentKeys ?? '')
      .split(',')
      .forEach((text, i) => entries.push({ text, source: `AGENT_KEYS entry ${i + 1}` }));
    if (agentKeysFile) {
      let content: string;
      try {
        content = readFileSync(agentKeysFile, 'utf8');
      } catch (error) {
        throw new Error(`AGENT_KEYS_FILE: cannot read ${agentKeysFile}: ${(error as Error).message}`);
      }
      content
        .split('\n')
        .forEach((text, i) => entries.push({ text, source: `AGENT_KEYS_FILE line ${i + 1}` }));
    }
    const registry = new StaticKeyRegistry(hasher);
    for (const { text, source } of entries) registry.addEntry(text.replace(/#.*/, '').trim(), source);
    return registry;
  }

  /** Entries configured, revoked ones included. */
  get size(): number {
    return this.byHmac.size;
  }

  lookup(agentKey: string): KeyLookup {
    const entry = this.byHmac.get(this.hasher.keyHmac(agentKey));
    if (!entry) return { status: 'unknown' };
    if (entry.revoked) return { status: 'revoked', keyId: entry.principal.keyId };
    return { status: 'valid', principal: entry.principal };
  }

  private addEntry(line: string, source: string): void {
    if (line === '') return;
    const revoked = line.startsWith('!');
    const body = revoked ? line.slice(1) : line;
    const colon = body.indexOf(':');
    const tenantId = colon >= 0 ? body.slice(0, colon) : DEFAULT_TENANT;
    const key = colon >= 0 ? body.slice(colon + 1) : body;
    if (!TENANT_PATTERN.test(tenantId)) throw new Error(`${source}: tenant must match ${TENANT_PATTERN}`);
    if (!AGENT_KEY_PATTERN.test(key)) throw new Error(`${source}: agent key must be ${AGENT_KEY_FORMAT}`);
    const keyHmac = this.hasher.keyHmac(key);
    const existing = this.byHmac.get(keyHmac);
    if (existing && existing.principal.tenantId !== tenantId) {
      throw new Error(`${source}: the same key is configured for two tenants`);
    }
    this.byHmac.set(keyHmac, {
      revoked: revoked || (existing?.revoked ?? false),
      principal: this.hasher.principal(tenantId, keyHmac),
    });
  }
}
