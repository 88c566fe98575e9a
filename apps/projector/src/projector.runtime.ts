import type { Admin, Producer } from 'kafkajs';
import { topicsFor, topicSpecs } from '@app/contracts';
import { createKafkaClient, ensureTopics, KeyPartitioner } from '@app/kafka';
import type { AppLogger, Health, Metrics } from '@app/observability';
import { ConsumerLagMonitor } from './consumer/consumer-lag';
import { ConsumerStopReport, ProjectionConsumer } from './consumer/projection.consumer';
import { projectionNamed } from './projections/projection-registry';
import type { ProjectorConfig } from './projector.config';
import { ProjectorReadiness } from './supervision/projector-readiness';
import type { ClickHouseWorkerClient } from './worker/clickhouse-worker.client';
import type { ReaderOptions } from './worker/worker-protocol';

/** How a stop went: `clean` only when every record read was stored and its offset committed. */
export interface ProjectorStopReport {
  clean: boolean;
  summary: string;
}

/**
 * Starts the projector in order (schema, topics, DLQ producer, one consumer group per
 * projection) and stops it in reverse, storing and committing what was read when it can, and
 * saying so only when it did.
 */
export class ProjectorRuntime {
  private readonly consumers: ProjectionConsumer[] = [];
  private readonly readiness: ProjectorReadiness;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private lag: ConsumerLagMonitor | undefined;
  private started = false;
  private startError: string | undefined;
  private fatalError: Error | undefined;

  constructor(
    private readonly config: ProjectorConfig,
    private readonly worker: ClickHouseWorkerClient,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
    health: Health,
    private readonly reader: ReaderOptions | undefined,
    private readonly onFatal: (error: Error) => void,
  ) {
    this.readiness = new ProjectorReadiness(config.PROJECTOR_READY_MAX_FAILING_MS);
    worker.supervise({ fatal: (error) => this.fatal(error), restarted: () => this.workerRestarted() });
    health.register('projector', () =>
      this.readiness.check({
        started: this.started,
        engine: this.worker.state,
        inserts: this.consumers.map((c) => c.insertFailures),
      }),
    );
  }

  async start(): Promise<void> {
    try {
      await this.startInOrder();
    } catch (error) {
      this.startError = (error as Error).message.trim();
      throw error;
    }
  }

  /** The ClickHouse worker is back: consumers waiting to retry a batch retry it now. */
  private workerRestarted(): void {
    for (const consumer of this.consumers) consumer.retryNow();
  }

  /** A part that cannot recover (the worker, a consumer group): the process must exit non-zero. */
  fatal(error: Error): void {
    if (this.fatalError) return;
    this.fatalError = error;
    this.onFatal(error);
  }

  async stop(): Promise<ProjectorStopReport> {
    const wasStarted = this.started;
    this.started = false;
    const reports = await Promise.all(this.consumers.map((c) => c.stop()));
    await this.lag?.stop();
    const problems = await this.disconnect();
    const report = stopReport(reports, problems, {
      consumers: this.consumers.length,
      wasStarted,
      startError: this.startError,
      fatal: this.fatalError?.message,
    });
    if (report.clean) this.logger.info(`projector stopped: ${report.summary}`);
    else this.logger.error({ consumers: reports, problems }, `projector stopped: ${report.summary}`);
    return report;
  }

  private async startInOrder(): Promise<void> {
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
    const sources = c.PROJECTOR_PROJECTIONS.map((name) => {
      const projection = projectionNamed(name);
      return {
        projection,
        groupId: `${c.PROJECTOR_GROUP_PREFIX}.${c.KAFKA_TOPIC_PREFIX}${projection.name}`,
        topic: topics[projection.topic],
      };
    });
    for (const { projection, groupId, topic } of sources) {
      const consumer = new ProjectionConsumer(
        kafka,
        this.producer,
        projection,
        this.worker,
        {
          groupId,
          topic,
          dlqTopic: topics.dlq,
          batchRows: c.PROJECTOR_BATCH_ROWS,
          batchMaxMs: c.PROJECTOR_BATCH_MAX_MS,
          maxPendingRecords: c.PROJECTOR_MAX_PENDING_RECORDS,
          retryMaxMs: c.PROJECTOR_RETRY_MAX_MS,
        },
        this.logger,
        this.metrics,
        (error) => this.fatal(error),
      );
      // Before start: a consumer that fails half-way must still be stopped (it may have joined).
      this.consumers.push(consumer);
      await consumer.start();
    }
    this.admin = kafka.admin();
    await this.admin.connect();
    this.lag = new ConsumerLagMonitor(
      this.admin,
      sources.map((s) => ({ projection: s.projection.name, groupId: s.groupId, topic: s.topic })),
      this.metrics,
      this.logger,
      c.PROJECTOR_LAG_INTERVAL_MS,
    );
    this.lag.start();
    this.started = true;
    this.logger.info({ projections: c.PROJECTOR_PROJECTIONS }, 'projector consuming');
  }

  private async disconnect(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, work: (() => Promise<void>) | undefined) => {
      try {
        await work?.();
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`);
      }
    };
    await attempt('Kafka admin', this.admin && (() => this.admin!.disconnect()));
    await attempt('DLQ producer', this.producer && (() => this.producer!.disconnect()));
    await attempt('ClickHouse worker', () => this.worker.close());
    return problems;
  }
}

/** The one line a stop ends with: what was stored and committed, or what was not. */
export function stopReport(
  reports: ConsumerStopReport[],
  problems: string[],
  context: { consumers: number; wasStarted: boolean; startError?: string; fatal?: string },
): ProjectorStopReport {
  const left = reports.filter((r) => r.notCommitted > 0);
  const notCommitted = left.reduce((n, r) => n + r.notCommitted, 0);
  const parts: string[] = [];
  if (context.startError !== undefined) parts.push(`start failed (${context.startError})`);
  if (context.fatal !== undefined) parts.push(`gave up: ${context.fatal}`);
  if (notCommitted > 0) {
    const which = left.map((r) => `${r.projection} ${r.notCommitted}${r.failure ? ` (${r.failure})` : ''}`);
    parts.push(
      `${notCommitted} records read were not stored and committed [${which.join('; ')}]; they will be read again on the next start`,
    );
  }
  const clean = parts.length === 0;
  // Worth saying, but nothing read is lost by them: the exit stays clean.
  for (const r of reports)
    if (r.leaveError !== undefined) parts.push(`${r.projection} left its group uncleanly (${r.leaveError})`);
  parts.push(...problems.map((p) => `closing ${p}`));
  const outcome = !clean
    ? ''
    : !context.wasStarted || context.consumers === 0
      ? 'it had not started consuming; nothing was read'
      : 'every record read was stored and its offset committed';
  return { clean, summary: [outcome, ...parts].filter(Boolean).join('; ') };
}
