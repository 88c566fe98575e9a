import { DataType } from './generated/containeragent/agent';

/** Logical topic names; the physical name is `<KAFKA_TOPIC_PREFIX><name>`. */
export const TOPIC_NAMES = [
  'list',
  'inspect',
  'stats',
  'events',
  'lifecycle',
  'commands',
  'command-status',
  'alerts',
  'alert-rules',
  'silences',
  'keys',
  'dlq',
] as const;
export type TopicName = (typeof TOPIC_NAMES)[number];
export type Topics = Record<TopicName, string>;

export function topicsFor(prefix: string): Topics {
  return Object.fromEntries(TOPIC_NAMES.map((name) => [name, `${prefix}${name}`])) as Topics;
}

/** One data topic per seed `DataType`. */
export function dataTopicName(type: DataType): TopicName | undefined {
  switch (type) {
    case DataType.CONTAINER_LIST:
      return 'list';
    case DataType.CONTAINER_INSPECT:
      return 'inspect';
    case DataType.CONTAINER_STATS:
      return 'stats';
    case DataType.CONTAINER_EVENT:
      return 'events';
    case DataType.UNRECOGNIZED:
      return undefined;
    default:
      return undefined;
  }
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries: { name: string; value: string }[];
}

/** Topic layout the project creates; the key registry is compacted, everything else is a log. */
export function topicSpecs(prefix: string, partitions: number, replicationFactor: number): TopicSpec[] {
  return TOPIC_NAMES.map((name) => ({
    topic: `${prefix}${name}`,
    numPartitions: partitions,
    replicationFactor,
    configEntries: configFor(name),
  }));
}

/** Commands may wait up to 7 days for their agent: their log keeps 8. */
const COMMAND_LOG_RETENTION_MS = 8 * 24 * 3600 * 1000;

function configFor(name: TopicName): { name: string; value: string }[] {
  if (name === 'keys' || name === 'alert-rules' || name === 'silences') {
    return [{ name: 'cleanup.policy', value: 'compact' }];
  }
  const entries = [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }];
  if (name === 'commands' || name === 'command-status') {
    entries.push({ name: 'retention.ms', value: String(COMMAND_LOG_RETENTION_MS) });
  }
  return entries;
}
