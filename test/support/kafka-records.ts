import { Kafka, logLevel } from 'kafkajs';
import { headerText } from '@app/contracts';

export interface CollectedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export function testKafka(brokers = process.env.KAFKA_BROKERS!): Kafka {
  return new Kafka({ clientId: 'e2e-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/**
 * Reads topics from the beginning until `until` holds or the deadline passes; polls instead of
 * sleeping. Returns everything read so far, so a failing assertion shows what did arrive.
 */
export async function readTopics(
  topics: string[],
  until: (records: CollectedRecord[]) => boolean,
  { timeoutMs = 20_000, brokers }: { timeoutMs?: number; brokers?: string } = {},
): Promise<CollectedRecord[]> {
  const kafka = testKafka(brokers);
  const consumer = kafka.consumer({
    groupId: `reader-${Math.random().toString(16).slice(2)}`,
    maxWaitTimeInMs: 100,
  });
  const records: CollectedRecord[] = [];
  // kafkajs may hand a partition's first records over twice when the group settles; keep one copy.
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let done: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const position = `${topic}/${partition}/${message.offset}`;
        if (seen.has(position)) return;
        seen.add(position);
        const headers: Record<string, string> = {};
        for (const name of Object.keys(message.headers ?? {}))
          headers[name] = headerText(message.headers, name) ?? '';
        records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
          headers,
        });
        if (until(records)) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Delivery to Kafka is at-least-once: a batch kafkajs retries after a partial failure (common
 * right after topics are created) can store a record twice. Tests of content look at each
 * message once, by its message-id, in first-seen order.
 */
export function oncePerMessage(records: CollectedRecord[]): CollectedRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const id = r.headers['message-id'];
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Records of `topic` that consumer group `groupId` has not committed yet. A projector commits only
 * what it stored, so at 0 it has stored everything on the topic and will store nothing more of it.
 */
export async function uncommittedRecords(groupId: string, topic: string, brokers?: string): Promise<number> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.reduce((behind, end) => {
      const at = committed.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return behind + Number(end.high) - Math.max(Number(at), Number(end.low));
    }, 0);
  } finally {
    await admin.disconnect();
  }
}
