import { Producer } from 'kafkajs';
import { topicsFor, topicSpecs } from '@app/contracts';
import { createKafkaClient, ensureTopics, KeyPartitioner } from '@app/kafka';
import type { AppLogger, Health, Metrics } from '@app/observability';
import { ProjectionConsumer } from './consumer/projection.consumer';
import { projectionNamed } from './projections/projection-registry';
import type { ProjectorConfig } from './projector.config';
import type { ClickHouseWorkerClient } from './worker/clickhouse-worker.client';
import type { ReaderOptions } from './worker/worker-protocol';

/**
 * Starts the projector in order (schema, topics, DLQ producer, one consumer group per
 * projection) and stops it in reverse, storing and committing what was read.
 */
export class ProjectorRuntime {
  private readonly consumers: ProjectionConsumer[] = [];
  private producer: Producer | undefined;
  private started = false;

  constructor(
    private readonly config: ProjectorConfig,
    private readonly worker: ClickHouseWorkerClient,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
    health: Health,
    private readonly reader?: ReaderOptions,
  ) {
    health.register('projector', () =>
      this.started ? { ready: true } : { ready: false, detail: 'schema or Kafka not ready yet' },
    );
  }

  async start(): Promise<void> {
    const c = this.config;
    const applied = await this.worker.init(
      {
        url: c.CLICKHOUSE_URL,
        path: c.CLICKHOUSE_PATH,
        username: c.CLICKHOUSE_USER,
        password: c.CLICKHOUSE_PASSWORD,
      },
      {
        database: c.CLICKHOUSE_DATABASE,
        ttlDays: c.CLICKHOUSE_TTL_DAYS,
        rollupTtlDays: c.CLICKHOUSE_ROLLUP_TTL_DAYS,
        cluster: c.CLICKHOUSE_CLUSTER,
      },
      this.reader,
    );
    this.logger.info(
      { applied, mode: c.CLICKHOUSE_URL ? 'server' : 'embedded' },
      'ClickHouse schema up to date',
    );
    const kafka = createKafkaClient({ brokers: c.KAFKA_BROKERS, clientId: 'projector', logger: this.logger });
    await ensureTopics(
      kafka,
      topicSpecs(c.KAFKA_TOPIC_PREFIX, c.KAFKA_TOPIC_PARTITIONS, c.KAFKA_REPLICATION_FACTOR),
    );
    this.producer = kafka.producer({
      createPartitioner: KeyPartitioner,
      allowAutoTopicCreation: false,
    });
    await this.producer.connect();
    const topics = topicsFor(c.KAFKA_TOPIC_PREFIX);
    for (const name of c.PROJECTOR_PROJECTIONS) {
      const projection = projectionNamed(name);
      const consumer = new ProjectionConsumer(
        kafka,
        this.producer,
        projection,
        this.worker,
        {
          groupId: `${c.PROJECTOR_GROUP_PREFIX}.${c.KAFKA_TOPIC_PREFIX}${projection.name}`,
          topic: topics[projection.topic],
          dlqTopic: topics.dlq,
          batchRows: c.PROJECTOR_BATCH_ROWS,
          batchMaxMs: c.PROJECTOR_BATCH_MAX_MS,
          maxPendingRecords: c.PROJECTOR_MAX_PENDING_RECORDS,
          retryMaxMs: c.PROJECTOR_RETRY_MAX_MS,
        },
        this.logger,
        this.metrics,
      );
      await consumer.start();
      this.consumers.push(consumer);
    }
    this.started = true;
    this.logger.info({ projections: c.PROJECTOR_PROJECTIONS }, 'projector consuming');
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.producer?.disconnect();
    await this.worker.close();
    this.logger.info('projector stopped: batches stored and committed');
  }
}
