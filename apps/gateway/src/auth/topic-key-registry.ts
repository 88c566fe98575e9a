import { acceptsCalls, AgentKeyEvent, agentKeyStatus, isNewer } from '@app/contracts';
import type { AgentKeyHasher } from '@app/security';
import type { KeyLookup, KeyRegistry } from './key-registry';

/** How often keys whose rotation grace is running are checked for its end. */
const EXPIRY_CHECK_MS = 200;

/**
 * The keys issued through the control API: a projection of the compacted keys topic (the newest
 * record of each key id), looked up by the key's HMAC in memory, in front of the keys from
 * configuration. When a key stops being accepted — revoked, or its rotation grace over —
 * `onInvalid` is told its key id, so that the gateway ends the streams that use it.
 */
export class TopicKeyRegistry implements KeyRegistry {
  private readonly byHmac = new Map<string, AgentKeyEvent>();
  private readonly byId = new Map<string, AgentKeyEvent>();
  /** Key ids in their rotation grace. */
  private readonly expiring = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private onInvalid: (keyId: string) => void = () => undefined;

  constructor(
    private readonly hasher: AgentKeyHasher,
    private readonly fallback: KeyRegistry,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.expire(), EXPIRY_CHECK_MS);
    this.timer.unref();
  }

  whenInvalid(listener: (keyId: string) => void): void {
    this.onInvalid = listener;
  }

  get size(): number {
    return this.byId.size;
  }

  apply(event: AgentKeyEvent): void {
    const current = this.byId.get(event.keyId);
    if (!isNewer(event, current)) return;
    if (current && current.keyHmac !== event.keyHmac) this.byHmac.delete(current.keyHmac);
    this.byId.set(event.keyId, event);
    this.byHmac.set(event.keyHmac, event);
    const status = agentKeyStatus(event, this.now());
    if (status === 'expiring') this.expiring.add(event.keyId);
    else this.expiring.delete(event.keyId);
    if (!acceptsCalls(status)) this.onInvalid(event.keyId);
  }

  lookup(agentKey: string): KeyLookup {
    const event = this.byHmac.get(this.hasher.keyHmac(agentKey));
    if (!event) return this.fallback.lookup(agentKey);
    if (!acceptsCalls(agentKeyStatus(event, this.now()))) return { status: 'revoked', keyId: event.keyId };
    return {
      status: 'valid',
      principal: { tenantId: event.tenantId, agentId: event.agentId, keyId: event.keyId },
    };
  }

  close(): void {
    clearInterval(this.timer);
  }

  private expire(): void {
    const now = this.now();
    for (const keyId of this.expiring) {
      const event = this.byId.get(keyId);
      if (event && agentKeyStatus(event, now) === 'expiring') continue;
      this.expiring.delete(keyId);
      this.onInvalid(keyId);
    }
  }
}
