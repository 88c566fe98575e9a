import type { RuleSource } from './rule.types';

/**
 * What a condition may name, per rule source. `int` values are passed to CEL as bigint (CEL's
 * int); `double` as number. CEL compares int and double across types (`stats.cpu_percent > 90`
 * works), but arithmetic mixing them does not (`stats.memory_usage / 1024.0` is an error; write
 * `double(stats.memory_usage) / 1024.0` or `stats.memory_usage / 1024`).
 */
export type ScalarKind = 'string' | 'int' | 'double' | 'map<string,string>';
export type VariableShape = ScalarKind | { readonly [field: string]: ScalarKind };

const CONTAINER_REF = { id: 'string', name: 'string' } as const;
const WHERE = { host: 'string', agent_id: 'string', tenant: 'string' } as const;

export const SOURCE_VARIABLES: Readonly<Record<RuleSource, Readonly<Record<string, VariableShape>>>> = {
  events: {
    event: {
      type: 'string',
      action: 'string',
      actor_id: 'string',
      actor_name: 'string',
      attrs: 'map<string,string>',
      time: 'int',
    },
    container: CONTAINER_REF,
    ...WHERE,
  },
  stats: {
    stats: {
      cpu_percent: 'double',
      memory_usage: 'int',
      memory_limit: 'int',
      memory_percent: 'double',
      network_rx: 'int',
      network_tx: 'int',
    },
    container: CONTAINER_REF,
    ...WHERE,
  },
  agents: {
    agent: { agent_id: 'string', tenant: 'string', name: 'string' },
    agent_id: 'string',
    tenant: 'string',
  },
  containers: {
    container: { id: 'string', name: 'string', image: 'string', state: 'string' },
    ...WHERE,
  },
};
