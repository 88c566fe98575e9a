import { performance } from 'node:perf_hooks';
import { CompressionTypes, Kafka, logLevel, Message, Partitioners } from 'kafkajs';
import { agentHost, agentKey, encodeStatsMessage } from './bench-common';

/** Types of deploy/kafka/kafka-broker.js, which is plain JS so that it runs before anything is built. */
export interface BrokerModule {
  startBroker(opts: {
    port: number;
    dataDir: string;
  }): Promise<{ brokers: string; stop(): Promise<unknown> }>;
}

export interface ProducerSettings {
  brokers: string[];
  topic: string;
  agents: number;
  batchSize: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface ProducerResult {
  messagesPerSecond: number;
  payloadBytes: number;
  batchMs: { p50: number; p99: number };
  sent: number;
}

/**
 * The ceiling Kafka sets on this machine for the gateway's records: the same agent payloads,
 * acks=-1, no compression, several sendBatch calls in flight, nothing else in the process.
 */
export async function runBareProducer(s: ProducerSettings): Promise<ProducerResult> {
  const kafka = new Kafka({ clientId: 'gateway-bench', brokers: s.brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: s.topic, numPartitions: 3, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();

  const records: Message[] = Array.from({ length: s.agents }, (_, i) => ({
    key: `${agentKey(i)}/${agentHost(i)}`,
    value: encodeStatsMessage(agentKey(i), agentHost(i), i),
  }));
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();

  const start = performance.now();
  const windowStart = start + s.warmupMs;
  const windowEnd = windowStart + s.durationMs;
  let next = 0;
  let inWindow = 0;
  let sent = 0;
  const batchTimes: number[] = [];
  const loop = async () => {
    while (performance.now() < windowEnd) {
      const messages = Array.from({ length: s.batchSize }, () => records[next++ % records.length]);
      const began = performance.now();
      await producer.sendBatch({
        topicMessages: [{ topic: s.topic, messages }],
        acks: -1,
        compression: CompressionTypes.None,
      });
      const done = performance.now();
      sent += messages.length;
      if (done >= windowStart && done < windowEnd) {
        inWindow += messages.length;
        batchTimes.push(done - began);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: s.concurrency }, loop));
  } finally {
    await producer.disconnect();
  }
  batchTimes.sort((a, b) => a - b);
  const at = (q: number) =>
    batchTimes[Math.min(batchTimes.length - 1, Math.floor(q * batchTimes.length))] ?? NaN;
  return {
    messagesPerSecond: inWindow / (s.durationMs / 1000),
    payloadBytes: records[0].value!.length,
    batchMs: { p50: at(0.5), p99: at(0.99) },
    sent,
  };
}
