import { Kafka, logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';
import type { AppLogger } from '@app/observability';
import { installFastProduceEncoding } from './fast-encoding/install';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: AppLogger;
  /** Give up connecting after this long; callers retry at their own level. */
  connectionTimeoutMs?: number;
}

/**
 * The only place a kafkajs client is built; its logs go to our JSON logger. The first call swaps in
 * the faster record encoders (fast-encoding/install.ts) before kafkajs loads its own.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  const encoding = installFastProduceEncoding();
  if (encoding !== 'installed') log.warn({ encoding }, 'kafkajs keeps its own, slower record encoders');
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 5 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= KafkaLogLevel.ERROR) log.error(rest, message);
        else if (level === KafkaLogLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  });
}
