import { agentpb } from '@app/contracts';

/**
 * The one table of what the gateway accepts in an AgentMessage: which fields are the key, type,
 * host and timestamps, which payload goes with which type, the number ranges, and which fields are
 * lists and maps (bounded by GATEWAY_MAX_LIST_ITEMS) or strings (bounded by GATEWAY_MAX_STRING_BYTES).
 * The wire reader (agent-message.reader.ts) and the decoding path that words the DLQ reason
 * (agent-message.validator.ts) both read their rules from here; field numbers and names are the
 * seed's (proto/containeragent/agent.proto).
 */
export type FieldKind = 'string' | 'strings' | 'varint' | 'double' | 'message' | 'messages';

export interface FieldRule {
  number: number;
  /** The generated (ts-proto) property name: the DLQ detail's field path uses it. */
  name: string;
  /** `strings`: repeated string; `messages`: repeated message or map (one entry message each). */
  kind: FieldKind;
  /** For `message` / `messages`: the nested message's rules (a map's entry message). */
  of?: MessageRule;
  /** A map field: decoded to an object, its entries counted like list items. */
  map?: boolean;
  /** For `double`: the inclusive range (NaN and infinities are outside every range). */
  range?: { min: number; max: number };
}

export interface MessageRule {
  name: string;
  fields: FieldRule[];
}

export interface MessageLimits {
  maxStringBytes: number;
  maxListItems: number;
}

const string = (number: number, name: string): FieldRule => ({ number, name, kind: 'string' });
const strings = (number: number, name: string): FieldRule => ({ number, name, kind: 'strings' });
const varint = (number: number, name: string): FieldRule => ({ number, name, kind: 'varint' });
const double = (number: number, name: string, max: number): FieldRule => ({
  number,
  name,
  kind: 'double',
  range: { min: 0, max },
});
const message = (number: number, name: string, of: MessageRule): FieldRule => ({
  number,
  name,
  kind: 'message',
  of,
});
const list = (number: number, name: string, of: MessageRule): FieldRule => ({
  number,
  name,
  kind: 'messages',
  of,
});
const map = (number: number, name: string, value: FieldRule): FieldRule => ({
  number,
  name,
  kind: 'messages',
  map: true,
  of: { name: `${name} entry`, fields: [string(1, 'key'), { ...value, number: 2, name: 'value' }] },
});
const rule = (name: string, ...fields: FieldRule[]): MessageRule => ({ name, fields });

/** CPU percent is per core: up to 4096 cores. */
export const MAX_CPU_PERCENT = 100 * 4096;
/** Memory percent above 100 happens (limits changed under a container), by orders of magnitude not. */
export const MAX_MEMORY_PERCENT = 100_000;

const containerInfo = rule(
  'ContainerInfo',
  string(1, 'id'),
  string(2, 'name'),
  string(3, 'image'),
  string(4, 'state'),
  string(5, 'status'),
);
const containerStats = rule(
  'ContainerStats',
  string(1, 'id'),
  string(2, 'name'),
  double(3, 'cpuPercent', MAX_CPU_PERCENT),
  varint(4, 'memoryUsage'),
  varint(5, 'memoryLimit'),
  double(6, 'memoryPercent', MAX_MEMORY_PERCENT),
  varint(7, 'networkRx'),
  varint(8, 'networkTx'),
);
const containerState = rule(
  'ContainerState',
  string(1, 'status'),
  varint(2, 'running'),
  varint(3, 'paused'),
  varint(4, 'restarting'),
  varint(5, 'exitCode'),
  string(6, 'startedAt'),
  string(7, 'finishedAt'),
);
const containerConfig = rule(
  'ContainerConfig',
  string(1, 'hostname'),
  string(2, 'user'),
  strings(3, 'env'),
  strings(4, 'cmd'),
  strings(5, 'entrypoint'),
  string(6, 'workingDir'),
  map(7, 'labels', string(2, 'value')),
);
const portBindings = rule(
  'PortBindings',
  list(1, 'bindings', rule('PortBinding', string(1, 'hostIp'), string(2, 'hostPort'))),
);
const networkEndpoint = rule(
  'NetworkEndpoint',
  string(1, 'networkId'),
  string(2, 'ipAddress'),
  string(3, 'gateway'),
  string(4, 'macAddress'),
);
const containerNetwork = rule(
  'ContainerNetwork',
  string(1, 'ipAddress'),
  string(2, 'gateway'),
  string(3, 'macAddress'),
  map(4, 'ports', message(2, 'value', portBindings)),
  map(5, 'networks', message(2, 'value', networkEndpoint)),
);
const mountPoint = rule(
  'MountPoint',
  string(1, 'type'),
  string(2, 'name'),
  string(3, 'source'),
  string(4, 'destination'),
  string(5, 'mode'),
  varint(6, 'rw'),
);
const containerInspect = rule(
  'ContainerInspect',
  string(1, 'id'),
  string(2, 'name'),
  string(3, 'image'),
  string(4, 'created'),
  string(5, 'platform'),
  message(10, 'state', containerState),
  message(11, 'config', containerConfig),
  message(12, 'network', containerNetwork),
  list(13, 'mounts', mountPoint),
);
const containerEvent = rule(
  'ContainerEventData',
  string(1, 'type'),
  string(2, 'action'),
  string(3, 'actorId'),
  string(4, 'actorName'),
  varint(5, 'timestamp'),
  map(6, 'attrs', string(2, 'value')),
);

export interface PayloadRule {
  type: agentpb.DataType;
  /** The AgentMessage field of this payload (the `data` oneof). */
  field: number;
  name: 'listData' | 'inspectData' | 'statsData' | 'eventData';
  rule: MessageRule;
  /** A nested int64 timestamp, normalized to epoch ms like the message's own. */
  timestampField?: number;
}

const { DataType } = agentpb;

/** The top level of an AgentMessage. */
export const AGENT_MESSAGE = {
  keyField: 1,
  typeField: 2,
  hostField: 3,
  timestampField: 4,
  /** At most this many characters, none of them a control character (U+0000–U+001F, U+007F). */
  hostMaxChars: 256,
  /** Indexed by DataType. */
  payloads: [
    {
      type: DataType.CONTAINER_LIST,
      field: 10,
      name: 'listData',
      rule: rule('List', list(1, 'containers', containerInfo)),
    },
    {
      type: DataType.CONTAINER_INSPECT,
      field: 11,
      name: 'inspectData',
      rule: rule('Inspect', list(1, 'inspects', containerInspect)),
    },
    {
      type: DataType.CONTAINER_STATS,
      field: 12,
      name: 'statsData',
      rule: rule('Stats', list(1, 'stats', containerStats)),
    },
    { type: DataType.CONTAINER_EVENT, field: 13, name: 'eventData', rule: containerEvent, timestampField: 5 },
  ] as readonly PayloadRule[],
} as const;

/** The payload rule of a DataType, or undefined for an unknown one. */
export function payloadOfType(type: number): PayloadRule | undefined {
  return AGENT_MESSAGE.payloads.find((payload) => Number(payload.type) === type);
}

/** The names of the map fields anywhere in the tree (the decoded path counts their entries). */
export const MAP_FIELD_NAMES: ReadonlySet<string> = new Set(
  collect(
    AGENT_MESSAGE.payloads.map((p) => p.rule),
    (field) => (field.map ? field.name : undefined),
  ),
);

/** What `pick` finds in the fields of `roots` and every message under them, each message once. */
export function collect<T>(
  roots: MessageRule[],
  pick: (field: FieldRule, owner: MessageRule) => T | undefined,
): T[] {
  const found: T[] = [];
  const seen = new Set<MessageRule>();
  const visit = (message: MessageRule) => {
    if (seen.has(message)) return;
    seen.add(message);
    for (const field of message.fields) {
      const picked = pick(field, message);
      if (picked !== undefined) found.push(picked);
      if (field.of) visit(field.of);
    }
  };
  roots.forEach(visit);
  return found;
}
