import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompressionTypes, Kafka, logLevel, Message, Partitioners } from 'kafkajs';
import { KeyPartitioner } from '@app/kafka';
import { agentHost, agentKey, encodeStatsMessage, REPO_ROOT } from './bench-common';

/** Types of deploy/kafka/kafka-broker.js, which is plain JS so that it runs before anything is built. */
interface BrokerModule {
  startBroker(opts: {
    port: number;
    dataDir: string;
  }): Promise<{ brokers: string; stop(): Promise<unknown> }>;
}

export interface BenchKafka {
  brokers: string;
  /** Whether this run started (and so owns) the broker. */
  started: boolean;
  /** Stops our broker, or deletes this run's topics from a shared one. */
  release(topicPrefix: string): Promise<void>;
}

/** KAFKA_BROKERS when set, otherwise a fresh single-node broker for this run. */
export async function provideKafka(port: number): Promise<BenchKafka> {
  const shared = process.env.KAFKA_BROKERS;
  if (shared) return { brokers: shared, started: false, release: (prefix) => deleteTopics(shared, prefix) };
  const dataDir = join(REPO_ROOT, '.cache/kafka/bench-data');
  rmSync(dataDir, { recursive: true, force: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(join(REPO_ROOT, 'deploy/kafka/kafka-broker.js')) as BrokerModule;
  const broker = await module.startBroker({ port, dataDir });
  return { brokers: broker.brokers, started: true, release: async () => void (await broker.stop()) };
}

async function deleteTopics(brokers: string, prefix: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'gateway-bench',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch (error) {
    console.warn(`could not delete the benchmark topics ${prefix}*: ${(error as Error).message}`);
  } finally {
    await admin.disconnect();
  }
}

export interface ProducerSettings {
  brokers: string[];
  topic: string;
  agents: number;
  batchSize: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** The gateway's partitioner instead of kafkajs' DefaultPartitioner (same partitions, less CPU). */
  keyPartitioner?: boolean;
}

export interface ProducerProcessSettings extends ProducerSettings {
  /** kafkajs with the gateway's record encoders (fast-encoding/install.ts) instead of stock. */
  fastEncoding: boolean;
}

/** runBareProducer in a fresh process (see producer-process.ts). */
export function runBareProducerProcess(settings: ProducerProcessSettings): Promise<ProducerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'producer-process.js'), [JSON.stringify(settings)], {
      stdio: 'inherit',
    });
    let result: ProducerResult | undefined;
    child.on('message', (message: ProducerResult) => (result = message));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      result ? resolve(result) : reject(new Error(`producer baseline exited (${signal ?? `code ${code}`})`)),
    );
  });
}

export interface ProducerResult {
  messagesPerSecond: number;
  payloadBytes: number;
  batchMs: { p50: number; p99: number };
  /** Of this process during the window, in % of one core. */
  cpuPercent: number;
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
    createPartitioner: s.keyPartitioner ? KeyPartitioner : Partitioners.DefaultPartitioner,
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
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  const startCpu = setTimeout(() => (cpuAtStart = process.cpuUsage()), s.warmupMs);
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
    clearTimeout(startCpu);
    await producer.disconnect();
  }
  const cpu = process.cpuUsage(cpuAtStart);
  batchTimes.sort((a, b) => a - b);
  const at = (q: number) =>
    batchTimes[Math.min(batchTimes.length - 1, Math.floor(q * batchTimes.length))] ?? NaN;
  return {
    messagesPerSecond: inWindow / (s.durationMs / 1000),
    payloadBytes: records[0].value!.length,
    batchMs: { p50: at(0.5), p99: at(0.99) },
    cpuPercent: cpuAtStart ? ((cpu.user + cpu.system) / 1000 / (performance.now() - windowStart)) * 100 : NaN,
    sent,
  };
}
