import { Kafka, Producer, RetryOptions } from 'kafkajs';
import { topicSpecs } from '@app/contracts';
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

// Leadership moves (and fresh topics) answer NOT_LEADER for a moment: retry within the publish timeout.
const PRODUCER_RETRY: RetryOptions = { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 };

/**
 * The gateway's connection to Kafka: creates the topics, connects one producer (in a worker thread
 * unless GATEWAY_KAFKA_WORKER=false), and exposes it as a BatchingProducer. Readiness follows the
 * producer's connection.
 */
export class GatewayKafka {
  readonly kafka: Kafka;
  readonly producer: Producer | WorkerProducer;
  readonly publisher: BatchingProducer;
  private connected = false;

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
      producer.on('connect', () => (this.connected = true));
      producer.on('disconnect', () => (this.connected = false));
      this.producer = producer;
      sender = producer;
    } else {
      const producer = this.kafka.producer({
        createPartitioner: KeyPartitioner,
        allowAutoTopicCreation: false,
        maxInFlightRequests,
        retry: PRODUCER_RETRY,
      });
      producer.on(producer.events.CONNECT, () => (this.connected = true));
      producer.on(producer.events.DISCONNECT, () => (this.connected = false));
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
        hardLimitBytes: config.GATEWAY_MAX_PENDING_BYTES * 2,
        sendTimeoutMs: config.GATEWAY_PUBLISH_TIMEOUT_MS,
      },
      metrics,
    );
    health.register('kafka', () =>
      this.connected ? { ready: true } : { ready: false, detail: 'Kafka producer not connected' },
    );
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
    await this.publisher.close();
    await this.producer.disconnect();
  }
}
