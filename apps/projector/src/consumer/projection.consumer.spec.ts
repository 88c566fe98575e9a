import { EventEmitter } from 'node:events';
import type { EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { createLogger, Metrics } from '@app/observability';
import type { Projection } from '../projections/projection-registry';
import type { ClickHouseWorkerClient } from '../worker/clickhouse-worker.client';
import { ProjectionConsumer } from './projection.consumer';

const TOPIC = 'p.stats';

/** kafkajs' consumer as ProjectionConsumer uses it, with the failure modes seen during broker outages. */
class FakeConsumer extends EventEmitter {
  readonly events = { GROUP_JOIN: 'join', COMMIT_OFFSETS: 'commit', CRASH: 'crash' };
  /** kafkajs between a crash and its restart: pause/resume/commit throw "not initialized". */
  groupGone = false;
  /** kafkajs' runner not running: commitOffsets resolves without committing. */
  runnerStopped = false;
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  runs = 0;
  committed: { partition: number; offset: string }[] = [];

  override on(event: string, listener: (e: { payload: unknown }) => void): this {
    return super.on(event, (payload: unknown) => listener({ payload }));
  }
  connect = () => Promise.resolve();
  subscribe = () => Promise.resolve();
  disconnect = () => Promise.resolve();
  run = ({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
    this.eachBatch = eachBatch;
    this.runs++;
    this.groupGone = false;
    return Promise.resolve();
  };
  paused = false;
  pause = () => {
    this.notInitialized();
    this.paused = true;
  };
  resume = () => {
    this.notInitialized();
    this.paused = false;
  };
  commitOffsets = (offsets: { topic: string; partition: number; offset: string }[]) => {
    this.notInitialized();
    if (this.runnerStopped) return Promise.resolve();
    this.committed.push(...offsets.map(({ partition, offset }) => ({ partition, offset })));
    this.emit('commit', { topics: [{ topic: TOPIC, partitions: offsets }] });
    return Promise.resolve();
  };
  private notInitialized(): void {
    if (this.groupGone)
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
  }
}

function setUp(worker: Partial<ClickHouseWorkerClient>) {
  const fake = new FakeConsumer();
  const fatal: Error[] = [];
  const consumer = new ProjectionConsumer(
    { consumer: () => fake } as unknown as Kafka,
    {} as Producer,
    { name: 'stats' } as Projection,
    { forget: () => Promise.resolve(), ...worker } as ClickHouseWorkerClient,
    {
      groupId: 'g',
      topic: TOPIC,
      dlqTopic: 'p.dlq',
      batchRows: 2,
      batchMaxMs: 10,
      maxPendingRecords: 1000,
      retryMaxMs: 20,
    },
    createLogger('spec', 'silent', 'json'),
    new Metrics('spec', false),
    (e) => fatal.push(e),
  );
  const deliver = (offsets: number[]) =>
    fake.eachBatch!({
      batch: {
        partition: 0,
        messages: offsets.map((o) => ({ offset: String(o), value: Buffer.from('x'), headers: {} })),
      },
      resolveOffset: () => undefined,
      heartbeat: () => Promise.resolve(),
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  return { fake, consumer, deliver, fatal };
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const stored = () => Promise.resolve({ inserted: 1, duplicates: 0, rejected: [] });

describe('ProjectionConsumer during a broker outage', () => {
  const rejections: unknown[] = [];
  const record = (reason: unknown) => rejections.push(reason);
  beforeAll(() => process.on('unhandledRejection', record));
  afterAll(() => process.off('unhandledRejection', record));
  beforeEach(() => (rejections.length = 0));

  it('retries a failed store when pause() throws (D2), and commits once the group is back', async () => {
    let calls = 0;
    const { fake, consumer, deliver } = setUp({
      project: () => (++calls === 1 ? Promise.reject(new Error('worker down')) : stored()),
    });
    await consumer.start();
    fake.groupGone = true;
    await deliver([0, 1]);
    await until(() => calls >= 2);
    fake.groupGone = false;
    fake.emit('join', {});
    await deliver([0, 1]);
    await until(() => fake.committed.length > 0);
    expect(fake.committed).toEqual([{ partition: 0, offset: '2' }]);
    expect((await consumer.stop()).notCommitted).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(rejections).toEqual([]);
  });

  it('does not count a commit kafkajs skipped because its consumer was not running', async () => {
    const { fake, consumer, deliver } = setUp({ project: stored });
    await consumer.start();
    fake.runnerStopped = true;
    await deliver([0, 1]);
    await until(() => consumer.insertFailures.lastError !== undefined);
    expect(consumer.insertFailures).toMatchObject({
      since: undefined,
      lastError: expect.stringMatching(/^commit: offsets not committed/),
    });
    fake.runnerStopped = false;
    await until(() => fake.committed.length > 0);
    expect(await consumer.stop()).toEqual({ projection: 'stats', notCommitted: 0 });
  });

  it('reads again after a rejoin took the records it had paused for', async () => {
    const { fake, consumer, deliver } = setUp({ project: stored });
    await consumer.start();
    fake.runnerStopped = true;
    await deliver([0, 1]);
    await until(() => fake.paused);
    // kafkajs restarted and rejoined: the records come again from the committed offset.
    fake.runnerStopped = false;
    fake.emit('join', {});
    expect(fake.paused).toBe(false);
    await deliver([0, 1]);
    await until(() => fake.committed.length > 0);
    expect(fake.committed).toEqual([{ partition: 0, offset: '2' }]);
    await consumer.stop();
  });

  it('reports what it could not store when stopped while the store is down', async () => {
    const { consumer, deliver } = setUp({
      project: () => Promise.reject(new Error('ClickHouse worker is not running')),
    });
    await consumer.start();
    await deliver([0, 1, 2]);
    await until(() => consumer.insertFailures.since !== undefined);
    expect(await consumer.stop()).toEqual({
      projection: 'stats',
      notCommitted: 3,
      failure: 'store: ClickHouse worker is not running',
    });
    expect(rejections).toEqual([]);
  });

  it('runs the consumer again after a crash kafkajs does not restart', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      const { fake, consumer, fatal } = setUp({ project: stored });
      await consumer.start();
      expect(fake.runs).toBe(1);
      fake.groupGone = true;
      fake.emit('crash', { error: new Error('KafkaJSNonRetriableError'), restart: false });
      await jest.advanceTimersByTimeAsync(1000);
      expect(fake.runs).toBe(2);
      fake.emit('crash', { error: new Error('retriable'), restart: true });
      await jest.advanceTimersByTimeAsync(60_000);
      expect(fake.runs).toBe(2);
      expect(fatal).toEqual([]);
      await consumer.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
