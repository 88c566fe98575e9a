// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require('../../deploy/kafka/kafka-broker.js') as typeof import('../support/kafka-broker');
import { TEST_KAFKA_PORT } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_KAFKA_STARTED !== '1') return;
  await broker.stopBroker({ port: TEST_KAFKA_PORT, dataDir: process.env.TEST_KAFKA_DATA_DIR });
}
