import { rmSync } from 'node:fs';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require('../../deploy/kafka/kafka-broker.js') as typeof import('../support/kafka-broker');

export const TEST_KAFKA_PORT = 29092;

/**
 * Integration and e2e specs need a real Kafka broker: use KAFKA_BROKERS when given, otherwise
 * start a fresh single-node broker on loopback for this run (stopped by global-teardown).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS) return;
  const dataDir = join(__dirname, '../../.cache/kafka/test-data');
  rmSync(dataDir, { recursive: true, force: true });
  const started = await broker.startBroker({ port: TEST_KAFKA_PORT, dataDir });
  process.env.KAFKA_BROKERS = started.brokers;
  process.env.TEST_KAFKA_DATA_DIR = dataDir;
  process.env.TEST_KAFKA_STARTED = '1';
}
