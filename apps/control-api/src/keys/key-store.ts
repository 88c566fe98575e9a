import { AgentKeyEvent, agentKeyStatus, AgentKeyStatus, isNewer } from '@app/contracts';

/**
 * The control API's read model of the keys topic: the newest record of every key id, in
 * memory. Rebuilt from the topic at every start; the API's own writes are applied as soon as
 * Kafka acknowledged them, so a read right after a write sees it.
 */
export class KeyStore {
  private readonly byId = new Map<string, AgentKeyEvent>();
  private sorted: string[] | undefined;

  apply(event: AgentKeyEvent): void {
    if (!isNewer(event, this.byId.get(event.keyId))) return;
    if (!this.byId.has(event.keyId)) this.sorted = undefined;
    this.byId.set(event.keyId, event);
  }

  get(keyId: string): AgentKeyEvent | undefined {
    return this.byId.get(keyId);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Keys in key-id order after `cursor`, those of `tenant` only unless undefined. */
  page(
    tenant: string | undefined,
    limit: number,
    cursor?: string,
  ): { items: AgentKeyEvent[]; next?: string } {
    this.sorted ??= [...this.byId.keys()].sort();
    const items: AgentKeyEvent[] = [];
    let start = 0;
    if (cursor !== undefined) {
      start = lowerBound(this.sorted, cursor);
      if (this.sorted[start] === cursor) start++;
    }
    for (let i = start; i < this.sorted.length; i++) {
      const event = this.byId.get(this.sorted[i])!;
      if (tenant !== undefined && event.tenantId !== tenant) continue;
      if (items.length === limit) return { items, next: items[items.length - 1].keyId };
      items.push(event);
    }
    return { items };
  }
}

export function statusOf(event: AgentKeyEvent, nowMs = Date.now()): AgentKeyStatus {
  return agentKeyStatus(event, nowMs);
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
