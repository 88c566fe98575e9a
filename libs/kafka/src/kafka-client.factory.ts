import { Kafka, logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';
import type { AppLogger, Metrics } from '@app/observability';
import {
  FastEncodingState,
  installFastProduceEncoding,
  SUPPORTED_KAFKAJS_VERSION,
} from './fast-encoding/install';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: AppLogger;
  /** Where to report whether the fast encoders are in (`kafka_fast_encoders_installed`). */
  metrics?: Metrics;
  /** Give up connecting after this long; callers retry at their own level. */
  connectionTimeoutMs?: number;
}

/**
 * The only place a kafkajs client is built; its logs go to our logger. The first call swaps in
 * the faster record encoders (fast-encoding/install.ts) before kafkajs loads its own.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  reportFastEncoding(installFastProduceEncoding(), log, options.metrics);
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 5 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const fields: Record<string, unknown> = { namespace, ...entry };
        // The message leads the line; our logger stamps its own time; `logger` is always "kafkajs".
        delete fields.message;
        delete fields.timestamp;
        delete fields.logger;
        log[appLogLevel(level, entry)](fields, entry.message);
      },
  });
}

/**
 * Without the fast encoders every record costs about three times the CPU, and nothing else
 * changes: an error line and a gauge to alert on, not a refusal to start (kafkajs' own encoders are
 * correct, and a gateway that will not start over a performance loss is an outage). The exact
 * pin in package.json and kafka-client.factory.spec.ts keep this from reaching a deployment unnoticed.
 */
function reportFastEncoding(state: FastEncodingState, log: AppLogger, metrics: Metrics | undefined): void {
  metrics
    ?.gauge({
      name: 'kafka_fast_encoders_installed',
      help: `1 when kafkajs ${SUPPORTED_KAFKAJS_VERSION} encodes records with the fast encoders, 0 when with its own (about 3x the CPU)`,
    })
    .set(state === 'installed' ? 1 : 0);
  if (state === 'installed') return;
  log.error(
    { encoding: state, supported: SUPPORTED_KAFKAJS_VERSION },
    state === 'other-kafkajs-version'
      ? `kafkajs is not ${SUPPORTED_KAFKAJS_VERSION}: records use its own, slower encoders (see "Upgrading kafkajs" in the README)`
      : 'kafkajs loaded its encoders before createKafkaClient: records use its own, slower encoders',
  );
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs does not export its error table
const { errorCodes } = require('kafkajs/src/protocol/error') as {
  errorCodes: { type: string; message: string; retriable: boolean }[];
};
/** Broker answers that kafkajs retries by itself: leader elections, coordinators loading, topics being created. */
const RETRIABLE = errorCodes.filter((e) => e.retriable).map((e) => e.message);
/** A transaction begun while the coordinator still completes the previous one: retried at once. */
const CONCURRENT_TRANSACTIONS = errorCodes.find((e) => e.type === 'CONCURRENT_TRANSACTIONS')!.message;
/** A consumer group member is told to rejoin while the group rebalances: kafkajs rejoins by itself. */
const REBALANCING = errorCodes.find((e) => e.type === 'REBALANCE_IN_PROGRESS')!.message;
/** Raised by kafkajs' connection while a broker is down or still starting; it reconnects by itself. */
const CONNECTION =
  /^(Failed to send messages: )?(Connection error|Connection timeout|Failed to connect to seed broker)/;
/** Consumer crashes kafkajs follows with a restart (consumer/index.js: retriable unless said otherwise). */
const RESTARTED_CRASHES =
  /^Crash: KafkaJS(NumberOfRetriesExceeded|ConnectionError|ConnectionClosedError|RequestTimeoutError):/;

/**
 * The level a kafkajs log line deserves. kafkajs logs at `error` every failed response and every
 * retry, including the ones it recovers from on its own (a fresh broker answers "The group
 * coordinator is not available" for seconds); an error line is kept for what a person must look at.
 * - A retriable broker answer to one request: debug. If retries run out, the caller's error (or a
 *   consumer crash) is what gets reported.
 * - The per-topic errors of a CreateTopics answer: debug (ensureTopics decides).
 * - A connection failing, a send or a consumer crash that kafkajs retries or restarts: warn.
 */
export function appLogLevel(
  level: KafkaLogLevel,
  entry: { message: string; error?: unknown },
): 'error' | 'warn' | 'debug' {
  if (level === KafkaLogLevel.WARN) return 'warn';
  if (level !== KafkaLogLevel.ERROR) return 'debug';
  if (typeof entry.error === 'string' && (RETRIABLE.includes(entry.error) || entry.error === REBALANCING)) {
    return 'debug';
  }
  const message = entry.message;
  // Per-topic errors of CreateTopics: kafkajs takes "already exists" (another app of the deployment
  // created them first) as success, and ensureTopics throws on anything else.
  if (message.startsWith('Response CreateTopics(') && entry.error === 'Topic creation errors') return 'debug';
  if (CONNECTION.test(message)) return 'warn';
  if (message.startsWith('Crash: ')) {
    // kafkajs restarts a consumer after these (consumer/index.js, isErrorRetriable).
    const restarts = RESTARTED_CRASHES.test(message) || RETRIABLE.some((m) => message.endsWith(`: ${m}`));
    return restarts ? 'warn' : 'error';
  }
  if (message.startsWith('Restarting the consumer in ')) return 'warn';
  if (message.startsWith('The coordinator is not aware of this member, re-joining the group')) return 'warn';
  if (message === `Failed to send messages: ${CONCURRENT_TRANSACTIONS}`) return 'debug';
  // sendMessages: `Failed to send messages: <message>` or the bare message, both before a retry.
  if (RETRIABLE.some((m) => message === m || message === `Failed to send messages: ${m}`)) return 'warn';
  return 'error';
}
