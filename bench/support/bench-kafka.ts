import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/** This file runs compiled, from dist/bench/support. */
export const REPO_ROOT = resolve(__dirname, '../../..');

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
  /** Stops our broker (and wipes its data), or deletes this run's topics from a shared one. */
  release(topicPrefix: string): Promise<void>;
}

export function kafkaClient(brokers: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/**
 * KAFKA_BROKERS when set (the run's topics carry a prefix of their own), otherwise a fresh broker
 * on `port` with its data in .cache/kafka/bench-<bench>-<port>.
 */
export async function provideKafka(port: number, bench: string): Promise<BenchKafka> {
  const shared = process.env.KAFKA_BROKERS;
  if (shared) {
    return { brokers: shared, started: false, release: (prefix) => deleteTopics(shared, prefix, bench) };
  }
  const dataDir = join(REPO_ROOT, `.cache/kafka/bench-${bench}-${port}`);
  rmSync(dataDir, { recursive: true, force: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(join(REPO_ROOT, 'deploy/kafka/kafka-broker.js')) as BrokerModule;
  const broker = await module.startBroker({ port, dataDir });
  return {
    brokers: broker.brokers,
    started: true,
    release: async () => {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function deleteTopics(brokers: string, prefix: string, bench: string): Promise<void> {
  const admin = kafkaClient(brokers, `bench-${bench}`).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch (error) {
    process.stderr.write(`could not delete the bench topics ${prefix}*: ${(error as Error).message}\n`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
