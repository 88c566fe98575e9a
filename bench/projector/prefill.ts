import { performance } from 'node:perf_hooks';
import { CompressionTypes, Kafka, logLevel, Message, Partitioners } from 'kafkajs';
import { topicsFor, topicSpecs } from '@app/contracts';
import { ensureTopics } from '@app/kafka';
import { StatsRecordSource } from './stats-records';

export interface PrefillResult {
  messages: number;
  seconds: number;
  valueBytes: number;
}

/**
 * Creates the topics of `prefix` as the gateway would (3 partitions) and writes `messages` stats
 * records to `<prefix>stats` with acks=all, keyed and partitioned as the gateway does.
 */
export async function prefillStats(
  brokers: string[],
  prefix: string,
  messages: number,
  agents: number,
): Promise<PrefillResult> {
  const kafka = new Kafka({ clientId: 'projector-bench', brokers, logLevel: logLevel.WARN });
  await ensureTopics(kafka, topicSpecs(prefix, 3, 1));
  const topic = topicsFor(prefix).stats;
  const source = new StatsRecordSource(agents);
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const started = performance.now();
  let made = 0;
  let valueBytes = 0;
  const batch = (): Message[] => {
    const size = Math.min(500, messages - made);
    made += size;
    return Array.from({ length: size }, () => {
      const record = source.next();
      valueBytes = record.value.length;
      return record;
    });
  };
  const loop = async () => {
    while (made < messages) {
      await producer.sendBatch({
        topicMessages: [{ topic, messages: batch() }],
        acks: -1,
        compression: CompressionTypes.None,
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: 4 }, loop));
  } finally {
    await producer.disconnect();
  }
  return { messages: made, seconds: (performance.now() - started) / 1000, valueBytes };
}
