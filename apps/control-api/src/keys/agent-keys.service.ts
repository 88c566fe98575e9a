import { randomInt, randomUUID } from 'node:crypto';
import { AgentKeyEvent, AgentKeyEventKind, HEADER, SCHEMA } from '@app/contracts';
import type { AgentKeyHasher } from '@app/security';
import type { ApiScope } from '../auth/api-tokens';
import { canSee } from '../auth/api-tokens';
import { fail } from '../http/problem';
import { KeyStore, statusOf } from './key-store';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `ak_` + 32 characters drawn uniformly (randomInt is unbiased) from [A-Za-z0-9]: 190 bits. */
export function newAgentKey(): string {
  return `ak_${Array.from({ length: 32 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('')}`;
}

/** Writes key records to the keys topic; resolves once Kafka acknowledged them (acks=all). */
export type KeyEventWriter = (events: AgentKeyEvent[]) => Promise<void>;

/**
 * Issue, rotate and revoke: each is a new full-state record of the key on the keys topic. A
 * plaintext key exists only in the answer to issue and rotate; the record holds its HMAC.
 */
export class AgentKeysService {
  constructor(
    private readonly store: KeyStore,
    private readonly hasher: AgentKeyHasher,
    private readonly write: KeyEventWriter,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(
    scope: ApiScope,
    name: string,
    tenant?: string,
  ): Promise<{ event: AgentKeyEvent; key: string }> {
    const tenantId = this.tenantFor(scope, tenant);
    const key = newAgentKey();
    const keyHmac = this.hasher.keyHmac(key);
    const at = String(this.now());
    const event = AgentKeyEvent.fromPartial({
      eventId: randomUUID(),
      kind: AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ISSUED,
      keyId: this.hasher.keyId(keyHmac),
      tenantId,
      agentId: this.hasher.principal(tenantId, keyHmac).agentId,
      keyHmac,
      name,
      actor: scope.tokenId,
      occurredAtMs: at,
      createdAtMs: at,
      revision: '1',
    });
    await this.commit([event]);
    return { event, key };
  }

  /** A new key for the same agent; the old one works until the grace ends (a ROTATED record). */
  async rotate(
    scope: ApiScope,
    keyId: string,
    graceSeconds: number,
  ): Promise<{ event: AgentKeyEvent; key: string }> {
    const old = this.visible(scope, keyId);
    if (statusOf(old, this.now()) !== 'active')
      fail('key_not_active', `key ${keyId} is ${statusOf(old)}: only an active key can be rotated`);
    const key = newAgentKey();
    const keyHmac = this.hasher.keyHmac(key);
    const now = this.now();
    const replacement = AgentKeyEvent.fromPartial({
      eventId: randomUUID(),
      kind: AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ISSUED,
      keyId: this.hasher.keyId(keyHmac),
      tenantId: old.tenantId,
      agentId: old.agentId,
      keyHmac,
      name: old.name,
      actor: scope.tokenId,
      occurredAtMs: String(now),
      createdAtMs: String(now),
      rotatedFrom: old.keyId,
      revision: '1',
    });
    const rotated = this.next(old, scope, now, {
      kind: AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ROTATED,
      expiresAtMs: String(now + graceSeconds * 1000),
      rotatedTo: replacement.keyId,
    });
    // The replacement first: at no moment is neither key accepted.
    await this.commit([replacement]);
    await this.commit([rotated]);
    return { event: replacement, key };
  }

  /** Idempotent: revoking a revoked key changes nothing. An expiring key's grace ends now. */
  async revoke(scope: ApiScope, keyId: string): Promise<void> {
    const current = this.visible(scope, keyId);
    if (current.kind === AgentKeyEventKind.AGENT_KEY_EVENT_KIND_REVOKED) return;
    await this.commit([
      this.next(current, scope, this.now(), { kind: AgentKeyEventKind.AGENT_KEY_EVENT_KIND_REVOKED }),
    ]);
  }

  /** A key of another tenant is answered like a key that does not exist. */
  visible(scope: ApiScope, keyId: string): AgentKeyEvent {
    const event = this.store.get(keyId);
    if (!event || !canSee(scope, event.tenantId)) fail('not_found', `no agent key ${keyId}`);
    return event;
  }

  private tenantFor(scope: ApiScope, tenant: string | undefined): string {
    if (scope.kind === 'tenant') {
      if (tenant !== undefined)
        fail(
          'tenant_not_allowed',
          'a tenant token issues keys of its own tenant: omit tenant',
          '/body/tenant',
        );
      return scope.tenant;
    }
    if (tenant === undefined)
      fail('tenant_required', 'an operator token must name the tenant of the key', '/body/tenant');
    return tenant;
  }

  private next(
    current: AgentKeyEvent,
    scope: ApiScope,
    now: number,
    change: Partial<AgentKeyEvent>,
  ): AgentKeyEvent {
    return AgentKeyEvent.fromPartial({
      ...current,
      ...change,
      eventId: randomUUID(),
      actor: scope.tokenId,
      occurredAtMs: String(now),
      revision: String(BigInt(current.revision) + 1n),
    });
  }

  private async commit(events: AgentKeyEvent[]): Promise<void> {
    await this.write(events);
    events.forEach((e) => this.store.apply(e));
  }
}

/** Record headers of a key event (ARCHITECTURE.md: every record carries them). */
export function keyEventHeaders(event: AgentKeyEvent, sourceId: string): Record<string, string> {
  return {
    [HEADER.tenantId]: event.tenantId,
    [HEADER.agentId]: event.agentId,
    [HEADER.messageId]: event.eventId,
    [HEADER.receivedAt]: event.occurredAtMs,
    [HEADER.gatewayId]: sourceId,
    [HEADER.schema]: SCHEMA.agentKey,
  };
}
