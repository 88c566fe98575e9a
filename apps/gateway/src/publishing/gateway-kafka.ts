import { Admin, Kafka, Producer, RetryOptions } from 'kafkajs';
import { topicsFor, topicSpecs } from '@app/contracts';
import {
  BatchingProducer,
  createKafkaClient,
  ensureTopics,
  inProcessLaneSender,
  KeyPartitioner,
  LaneSender,
  WorkerProducer,
} from '@app/kafka';
import type { AppLogger, Health, Metrics } from '@app/observability';
import type { GatewayConfig } from '../gateway.config';
import { PublishReadiness } from './publish-readiness';

// Leadership moves (and fresh topics) answer NOT_LEADER for a moment: retry within the publish timeout.
const PRODUCER_RETRY: RetryOptions = { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 };
/** Readiness probes (see PublishReadiness): how often while failing or idle, and how long one may take. */
const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 5000;

/**
 * The gateway's connection to Kafka: creates the topics, connects one producer (in a worker thread
 * unless GATEWAY_KAFKA_WORKER=false), and exposes it as a BatchingProducer. Readiness says whether
 * it can publish (PublishReadiness): connected, and no failure since the last success.
 */
export class GatewayKafka {
  readonly kafka: Kafka;
  readonly producer: Producer | WorkerProducer;
  readonly publisher: BatchingProducer;
  private readonly readiness: PublishReadiness;
  /** The probes' own client: its connection errors during an outage would log once a second. */
  private readonly probeKafka: Kafka;
  private probeAdmin: Admin | undefined;
  private closing = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: AppLogger,
    metrics: Metrics,
    health: Health,
  ) {
    this.kafka = createKafkaClient({
      brokers: config.KAFKA_BROKERS,
      clientId: `gateway-${config.GATEWAY_ID}`,
      logger,
      metrics,
    });
    this.probeKafka = createKafkaClient({
      brokers: config.KAFKA_BROKERS,
      clientId: `gateway-${config.GATEWAY_ID}-probe`,
      logger: logger.child({ component: 'readiness-probe' }, { level: 'error' }),
    });
    // One batch in flight per lane (BatchingProducer keeps each agent's records in one lane, in order).
    const maxInFlightRequests = config.GATEWAY_PUBLISH_LANES;
    let sender: LaneSender;
    if (config.GATEWAY_KAFKA_WORKER) {
      const producer = new WorkerProducer(
        {
          brokers: config.KAFKA_BROKERS,
          clientId: `gateway-${config.GATEWAY_ID}`,
          maxInFlightRequests,
          retry: PRODUCER_RETRY,
        },
        logger,
      );
      producer.on('connect', () => this.readiness.setConnected(true));
      producer.on('disconnect', () => this.readiness.setConnected(false));
      this.producer = producer;
      sender = producer;
    } else {
      const producer = this.kafka.producer({
        createPartitioner: KeyPartitioner,
        allowAutoTopicCreation: false,
        maxInFlightRequests,
        retry: PRODUCER_RETRY,
      });
      producer.on(producer.events.CONNECT, () => this.readiness.setConnected(true));
      producer.on(producer.events.DISCONNECT, () => this.readiness.setConnected(false));
      this.producer = producer;
      sender = inProcessLaneSender(producer);
    }
    this.publisher = new BatchingProducer(
      sender,
      {
        lingerMs: config.GATEWAY_LINGER_MS,
        maxBatchBytes: config.GATEWAY_MAX_BATCH_BYTES,
        lanes: config.GATEWAY_PUBLISH_LANES,
        softLimitBytes: config.GATEWAY_MAX_PENDING_BYTES,
        targetQueueMs: config.GATEWAY_TARGET_QUEUE_MS,
        hardLimitBytes: config.GATEWAY_MAX_PENDING_BYTES * 2,
        sendTimeoutMs: config.GATEWAY_PUBLISH_TIMEOUT_MS,
      },
      metrics,
    );
    this.readiness = new PublishReadiness(this.publisher, () => this.probeLeaders(), {
      probeIntervalMs: PROBE_INTERVAL_MS,
      probeTimeoutMs: PROBE_TIMEOUT_MS,
    });
    health.register('kafka', () => this.readiness.check());
  }

  /** Waits for the brokers (up to `timeoutMs`) so that a gateway never takes traffic it cannot store. */
  async connect(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await ensureTopics(
          this.kafka,
          topicSpecs(
            this.config.KAFKA_TOPIC_PREFIX,
            this.config.KAFKA_TOPIC_PARTITIONS,
            this.config.KAFKA_REPLICATION_FACTOR,
          ),
        );
        await this.producer.connect();
        this.readiness.start();
        this.logger.info({ brokers: this.config.KAFKA_BROKERS }, 'connected to Kafka');
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `KAFKA_BROKERS ${this.config.KAFKA_BROKERS.join(',')} unreachable: ${(error as Error).message}`,
          );
        }
        this.logger.warn({ err: error }, 'Kafka not reachable yet, retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.readiness.stop();
    await this.probeAdmin?.disconnect();
    await this.publisher.close();
    await this.producer.disconnect();
  }

  /**
   * Whether the brokers could take our records: the stats topic's partition leaders answer
   * (ListOffsets is served by leaders only). A failed probe drops its client, so that the next one
   * starts from fresh connections; so does one that ends after close() began.
   */
  private async probeLeaders(): Promise<void> {
    const admin = (this.probeAdmin ??= this.probeKafka.admin({ retry: { retries: 0 } }));
    let keep = false;
    try {
      await admin.connect();
      await admin.fetchTopicOffsets(topicsFor(this.config.KAFKA_TOPIC_PREFIX).stats);
      keep = !this.closing;
    } finally {
      if (!keep) {
        if (this.probeAdmin === admin) this.probeAdmin = undefined;
        await admin.disconnect().catch(() => undefined);
      }
    }
  }
}
