import type { Activation } from './cel.condition';

// The exact JS shapes a condition is evaluated against. CEL ints are bigint and doubles are
// number; ints arrive from ts-proto as decimal strings (forceLong=string), hence `IntLike`.
// `attrs` becomes a Map so that a key such as "constructor" is just a key.

export type IntLike = bigint | number | string;

export interface Where {
  host: string;
  agentId: string;
  tenant: string;
}

export interface ContainerRef {
  id: string;
  name: string;
}

export interface EventFacts extends Where {
  event: {
    type: string;
    action: string;
    actorId: string;
    actorName: string;
    attrs: Readonly<Record<string, string>>;
    /** Epoch ms (normalized). */
    timeMs: IntLike;
  };
  container: ContainerRef;
}

export interface StatsFacts extends Where {
  stats: {
    cpuPercent: number;
    memoryUsage: IntLike;
    memoryLimit: IntLike;
    memoryPercent: number;
    networkRx: IntLike;
    networkTx: IntLike;
  };
  container: ContainerRef;
}

export interface AgentFacts {
  agentId: string;
  tenant: string;
  name: string;
}

export interface ContainerFacts extends Where {
  container: ContainerRef & { image: string; state: string };
}

export function activationForEvent(f: EventFacts): Activation {
  return {
    event: {
      type: f.event.type,
      action: f.event.action,
      actor_id: f.event.actorId,
      actor_name: f.event.actorName,
      attrs: new Map(Object.entries(f.event.attrs)),
      time: toInt(f.event.timeMs),
    },
    container: { id: f.container.id, name: f.container.name },
    host: f.host,
    agent_id: f.agentId,
    tenant: f.tenant,
  };
}

export function activationForStats(f: StatsFacts): Activation {
  return {
    stats: {
      cpu_percent: f.stats.cpuPercent,
      memory_usage: toInt(f.stats.memoryUsage),
      memory_limit: toInt(f.stats.memoryLimit),
      memory_percent: f.stats.memoryPercent,
      network_rx: toInt(f.stats.networkRx),
      network_tx: toInt(f.stats.networkTx),
    },
    container: { id: f.container.id, name: f.container.name },
    host: f.host,
    agent_id: f.agentId,
    tenant: f.tenant,
  };
}

export function activationForAgent(f: AgentFacts): Activation {
  return {
    agent: { agent_id: f.agentId, tenant: f.tenant, name: f.name },
    agent_id: f.agentId,
    tenant: f.tenant,
  };
}

export function activationForContainer(f: ContainerFacts): Activation {
  const { id, name, image, state } = f.container;
  return { container: { id, name, image, state }, host: f.host, agent_id: f.agentId, tenant: f.tenant };
}

/** A non-integral or unparsable value becomes 0n rather than throwing in the hot path. */
function toInt(value: IntLike): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
  try {
    return BigInt(value);
  } catch {
    return 0n;
  }
}
