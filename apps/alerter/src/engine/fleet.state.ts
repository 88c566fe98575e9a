import type { EngineInput, ListInput, StatsInput } from './engine.types';
import { containerNameOf } from './alert.identity';
import type { SeriesBudget } from './rule.context';

export interface AgentRecord {
  tenantId: string;
  agentId: string;
  name: string;
  /** Max receive time of anything that proves the agent alive. */
  lastSeenMs: number;
}

export interface ContainerEntry {
  id: string;
  name: string;
  image: string;
  state: string;
  /** Receive time of its last stats, or of the list that first showed it running. */
  lastStatsMs: number;
}

export interface HostRecord {
  tenantId: string;
  agentId: string;
  host: string;
  /** Receive time of the list applied last; an older list arriving later is ignored. */
  listedAtMs: number;
  /** Running containers per the latest list, by id. */
  running: Map<string, ContainerEntry>;
}

const BUDGET_NAME = '(fleet)';

export const agentKeyOf = (tenantId: string, agentId: string): string => `${tenantId}\u0000${agentId}`;
export const hostKeyOf = (tenantId: string, agentId: string, host: string): string =>
  `${tenantId}\u0000${agentId}\u0000${host}`;
export const containerKeyOf = (hostKey: string, id: string): string => `${hostKey}\u0000${id}`;

/**
 * What absence rules need to know about a partition's fleet, on the receive clock: when each
 * agent was last heard from, and which containers each host's latest list says are running.
 * Only agents and hosts that appeared in this partition's inputs are known.
 */
export class FleetState {
  readonly agents = new Map<string, AgentRecord>();
  readonly hosts = new Map<string, HostRecord>();

  constructor(private readonly budget: SeriesBudget) {}

  /**
   * Anything from an agent proves it alive except `offline` and `stream_closed`. An agent is
   * tracked from its first input of any kind (then last seen = that input's receive time, so an
   * agent known only from its `offline` still counts as silent from then on).
   * Returns the agent's key when the input proved it alive.
   */
  see(input: EngineInput): string | undefined {
    const key = agentKeyOf(input.tenantId, input.agentId);
    const alive = input.kind !== 'agent' || (input.what !== 'offline' && input.what !== 'stream_closed');
    let agent = this.agents.get(key);
    if (!agent) {
      if (!this.budget.acquire(BUDGET_NAME)) return undefined;
      agent = { tenantId: input.tenantId, agentId: input.agentId, name: '', lastSeenMs: input.receivedAtMs };
      this.agents.set(key, agent);
    }
    if (input.kind === 'agent' && input.agentName) agent.name = input.agentName;
    if (!alive) return undefined;
    agent.lastSeenMs = Math.max(agent.lastSeenMs, input.receivedAtMs);
    return key;
  }

  /**
   * Applies a host's list. Returns the keys of containers that stopped being tracked (no longer
   * running, or gone), or undefined when the list is older than the one applied (ignored).
   */
  applyList(input: ListInput): string[] | undefined {
    const hostKey = hostKeyOf(input.tenantId, input.agentId, input.host);
    let host = this.hosts.get(hostKey);
    if (!host) {
      host = {
        tenantId: input.tenantId,
        agentId: input.agentId,
        host: input.host,
        listedAtMs: 0,
        running: new Map(),
      };
      this.hosts.set(hostKey, host);
    }
    if (input.receivedAtMs < host.listedAtMs) return undefined;
    host.listedAtMs = input.receivedAtMs;
    const next = new Map<string, ContainerEntry>();
    for (const c of input.containers) {
      if (c.state.toLowerCase() !== 'running' || next.has(c.id)) continue;
      const name = containerNameOf(c.name, c.id);
      const entry = host.running.get(c.id);
      if (entry) {
        Object.assign(entry, { name, image: c.image, state: c.state });
      } else if (!this.budget.acquire(BUDGET_NAME)) {
        continue;
      }
      next.set(
        c.id,
        entry ?? { id: c.id, name, image: c.image, state: c.state, lastStatsMs: input.receivedAtMs },
      );
    }
    const gone: string[] = [];
    for (const id of host.running.keys()) if (!next.has(id)) gone.push(containerKeyOf(hostKey, id));
    this.budget.release(gone.length);
    host.running = next;
    return gone;
  }

  /** Records a container's stats; returns its key when the latest list shows it running. */
  statsSeen(input: StatsInput): string | undefined {
    const hostKey = hostKeyOf(input.tenantId, input.agentId, input.host);
    const host = this.hosts.get(hostKey);
    if (!host) return undefined;
    let entry = host.running.get(input.stats.id);
    if (!entry) {
      // Some agents report short ids or only names in stats: fall back to the name.
      const name = containerNameOf(input.stats.name, input.stats.id);
      for (const candidate of host.running.values()) if (candidate.name === name) entry = candidate;
    }
    if (!entry) return undefined;
    entry.lastStatsMs = Math.max(entry.lastStatsMs, input.receivedAtMs);
    return containerKeyOf(hostKey, entry.id);
  }

  /** True when the agent was heard from in [nowMs − withinMs, nowMs]. */
  agentAlive(tenantId: string, agentId: string, nowMs: number, withinMs: number): boolean {
    const agent = this.agents.get(agentKeyOf(tenantId, agentId));
    return agent !== undefined && nowMs - agent.lastSeenMs < withinMs;
  }

  /**
   * Forgets agents and hosts unheard of for `idleMs` unless `pinned` (a live alert needs them).
   */
  sweep(nowMs: number, idleMs: number, pinned: (key: string) => boolean): void {
    for (const [key, agent] of this.agents) {
      if (nowMs - agent.lastSeenMs < idleMs || pinned(key)) continue;
      this.agents.delete(key);
      this.budget.release();
    }
    for (const [hostKey, host] of this.hosts) {
      if (nowMs - host.listedAtMs < idleMs) continue;
      const keys = [...host.running.keys()].map((id) => containerKeyOf(hostKey, id));
      const recent = [...host.running.values()].some((c) => nowMs - c.lastStatsMs < idleMs);
      if (recent || keys.some(pinned)) continue;
      this.hosts.delete(hostKey);
      this.budget.release(host.running.size);
    }
  }
}
