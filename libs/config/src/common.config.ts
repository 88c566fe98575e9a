import { z } from 'zod';
import { env } from './env-types';

/** Settings every app shares: Kafka connection, topic naming, logging. */
export const commonSchema = z.object({
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  KAFKA_TOPIC_PREFIX: env.topicPrefix(),
  KAFKA_TOPIC_PARTITIONS: env.positiveInt(3, 1000),
  KAFKA_REPLICATION_FACTOR: env.positiveInt(1, 10),
  LOG_LEVEL: env.logLevel(),
  LOG_FORMAT: env.logFormat(),
});

export type CommonConfig = z.infer<typeof commonSchema>;
