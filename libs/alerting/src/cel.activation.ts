import { celMap } from '@bufbuild/cel';
import type { Activation } from './cel.condition';

// The exact JS shapes a condition is evaluated against. CEL ints are bigint and doubles are
// number; ints arrive from ts-proto as decimal strings (forceLong=string), hence `IntLike`.
// `attrs` becomes a Map so that a key such as "constructor" is just a key.
//
// Speed: build one activation per sample and evaluate every rule against it. Objects are handed
// to CEL already wrapped (celMap), because @bufbuild/cel otherwise copies a plain object into a
// new map on every variable lookup of every evaluation. Each object field is also bound under its
// qualified name ("stats.cpu_percent"), which CEL's name resolution tries first: a field read
// then skips the map lookup machinery (about a third faster in a local measurement).

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
  return bind({
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
  });
}

export function activationForStats(f: StatsFacts): Activation {
  return bind({
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
  });
}

export function activationForAgent(f: AgentFacts): Activation {
  return bind({
    agent: { agent_id: f.agentId, tenant: f.tenant, name: f.name },
    agent_id: f.agentId,
    tenant: f.tenant,
  });
}

export function activationForContainer(f: ContainerFacts): Activation {
  const { id, name, image, state } = f.container;
  return bind({ container: { id, name, image, state }, host: f.host, agent_id: f.agentId, tenant: f.tenant });
}

type Scalar = string | bigint | number | ReadonlyMap<string, string>;

/** Wraps each object variable for CEL and binds its fields under qualified names too. */
function bind(variables: Record<string, Scalar | Record<string, Scalar>>): Activation {
  const out: Activation = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value !== 'object' || isStringMap(value)) {
      out[name] = wrap(value);
      continue;
    }
    const fields = new Map<string, unknown>();
    for (const [field, item] of Object.entries<Scalar>(value)) {
      const wrapped = wrap(item);
      fields.set(field, wrapped);
      out[`${name}.${field}`] = wrapped;
    }
    out[name] = celMap(fields as Map<string, never>);
  }
  return out;
}

function wrap(value: Scalar): unknown {
  return typeof value === 'object' ? celMap(value) : value;
}

function isStringMap(value: object): value is ReadonlyMap<string, string> {
  return value instanceof Map;
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
