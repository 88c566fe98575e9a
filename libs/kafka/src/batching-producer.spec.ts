import type { Message, ProducerBatch } from 'kafkajs';
import { Metrics } from '@app/observability';
import {
  BatchingProducer,
  BatchingProducerOptions,
  laneOf,
  OutboundRecord,
  PublishError,
} from './batching-producer';
import type { LaneSender } from './serial-lanes';

/** Records what it was handed; each call waits until the test settles it. */
class RecordingSender implements LaneSender {
  readonly calls: {
    lane: number;
    keys: string[];
    notAfter: number;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];

  sendLaneBatch(lane: number, batch: ProducerBatch, notAfter: number): Promise<void> {
    const keys = (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m: Message) => String(m.key)));
    return new Promise((resolve, reject) => this.calls.push({ lane, keys, notAfter, resolve, reject }));
  }

  inFlight(lane: number): number {
    return this.calls.filter((c) => c.lane === lane).length;
  }
}

const RECORD_BYTES = 100 + 3 + 64; // value + key + per-record allowance of recordBytes()
const record = (key: string, topic = 't'): OutboundRecord => ({
  topic,
  key,
  value: Buffer.alloc(100),
  headers: {},
});
const tick = () => new Promise((r) => setImmediate(r));

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await tick();
  return done;
}

function producerWith(sender: LaneSender, options: Partial<BatchingProducerOptions> = {}) {
  return new BatchingProducer(
    sender,
    {
      lingerMs: 5,
      maxBatchBytes: RECORD_BYTES * 3,
      softLimitBytes: RECORD_BYTES * 100,
      hardLimitBytes: RECORD_BYTES * 200,
      sendTimeoutMs: 60_000,
      lanes: 1,
      ...options,
    },
    new Metrics('test', false),
  );
}

describe('BatchingProducer', () => {
  let producer: BatchingProducer | undefined;
  // The clock is fake; callbacks and setImmediate (tick) stay real.
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] }));
  afterEach(async () => {
    jest.useRealTimers();
    await producer?.close().catch(() => undefined);
    producer = undefined;
  });

  it('resolves a publish only once the sender acknowledged its batch', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender);
    const publish = producer.publish(record('k01'));
    await jest.advanceTimersByTimeAsync(5); // the linger
    expect(sender.calls.map((c) => c.keys)).toEqual([['k01']]);
    expect(await settled(publish)).toBe(false);
    sender.calls[0].resolve();
    await expect(publish).resolves.toBeUndefined();
  });

  it('keeps one key in one lane, and a lane hands over further batches only when full', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender, { lanes: 4, stagedBatches: 1 });
    const key = 'k01';
    const lane = laneOf(key, 4);
    const published = Array.from({ length: 8 }, () => producer!.publish(record(key)));
    await tick();
    // 3 records fill a batch: the first leaves, a second full one is staged, the rest waits.
    expect(sender.inFlight(lane)).toBe(2);
    expect(sender.calls.map((c) => c.keys.length)).toEqual([3, 3]);
    await jest.advanceTimersByTimeAsync(20); // past the linger: a busy lane keeps its partial batch
    expect(sender.calls).toHaveLength(2);
    // The staged batch is now in flight: the partial one still waits for the lane to be idle.
    sender.calls[0].resolve();
    await tick();
    expect(sender.calls.map((c) => c.keys.length)).toEqual([3, 3]);
    sender.calls[1].resolve();
    await tick();
    expect(sender.calls.map((c) => c.keys.length)).toEqual([3, 3, 2]);
    sender.calls[2].resolve();
    await Promise.all(published);
    expect(new Set(sender.calls.map((c) => c.lane))).toEqual(new Set([lane]));
  });

  it('gives the sender a deadline of now + sendTimeoutMs', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender, { sendTimeoutMs: 5000 });
    const published = [1, 2, 3].map(() => producer!.publish(record('k01')));
    await tick();
    expect(sender.calls[0].notAfter).toBe(Date.now() + 5000);
    sender.calls[0].resolve();
    await Promise.all(published);
  });

  it('fails every record of a refused batch with a retriable PublishError, and goes on', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender);
    const first = [1, 2, 3].map(() => producer!.publish(record('k01')));
    await tick();
    sender.calls[0].reject(new Error('NOT_LEADER'));
    for (const p of first) await expect(p).rejects.toMatchObject({ reason: 'kafka' });
    const next = producer.publish(record('k01'));
    await jest.advanceTimersByTimeAsync(5); // the linger
    expect(sender.calls.map((c) => c.keys.length)).toEqual([3, 1]);
    sender.calls[1].resolve();
    await expect(next).resolves.toBeUndefined();
  });

  it('refuses at once above the hard limit', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender, { maxBatchBytes: RECORD_BYTES * 100, hardLimitBytes: RECORD_BYTES * 3 });
    const accepted = [1, 2, 3].map(() => producer!.publish(record('k01')));
    await expect(producer.publish(record('k01'))).rejects.toMatchObject({ reason: 'overloaded' });
    await expect(producer.publish(record('k01'))).rejects.toBeInstanceOf(PublishError);
    await jest.advanceTimersByTimeAsync(5); // the linger
    expect(sender.calls.map((c) => c.keys.length)).toEqual([3]);
    sender.calls[0].resolve();
    await Promise.all(accepted);
  });

  it('reports saturation per lane (its share of the soft limit) and drains that lane', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender, {
      lanes: 2,
      maxBatchBytes: RECORD_BYTES * 100,
      softLimitBytes: RECORD_BYTES * 4, // two records per lane
    });
    const agents = ['agent-a', 'agent-b', 'agent-c', 'agent-d'];
    const busy = agents.find((a) => producer!.laneFor(a) === 0)!;
    const other = agents.find((a) => producer!.laneFor(a) === 1)!;
    const accepted = [1, 2].map((i) => producer!.publish({ ...record(`${busy}/host-${i}`), orderKey: busy }));
    expect(producer.isSaturated(0)).toBe(true);
    expect(producer.isSaturated(1)).toBe(false);
    const drainedLanes: number[] = [];
    producer.on('drain', (lane: number) => drainedLanes.push(lane));
    accepted.push(producer.publish({ ...record(`${other}/host`), orderKey: other }));
    await jest.advanceTimersByTimeAsync(5); // the linger
    expect(sender.calls.map((c) => c.lane).sort()).toEqual([0, 1]);
    sender.calls.forEach((c) => c.resolve());
    await Promise.all(accepted);
    expect(drainedLanes).toEqual([0]);
    expect(producer.isSaturated(0)).toBe(false);
  });

  it('stays saturated until the lane is back under half its share (hysteresis)', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender, {
      maxBatchBytes: RECORD_BYTES, // one record per batch
      stagedBatches: 10,
      softLimitBytes: RECORD_BYTES * 4,
    });
    const drains: number[] = [];
    producer.on('drain', (lane: number) => drains.push(lane));
    const accepted = [1, 2, 3, 4].map(() => producer!.publish(record('k01')));
    expect(producer.isSaturated(0)).toBe(true);
    await tick();
    expect(sender.calls).toHaveLength(4);
    for (const [i, stillSaturated] of [true, true, false].entries()) {
      sender.calls[i].resolve();
      await tick();
      expect(producer.isSaturated(0)).toBe(stillSaturated);
    }
    expect(drains).toEqual([0]);
    sender.calls[3].resolve();
    await Promise.all(accepted);
    expect(drains).toEqual([0]);
  });

  it('flush waits for staged and partial batches alike', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender, { stagedBatches: 1, lingerMs: 60_000 });
    const published = Array.from({ length: 7 }, () => producer!.publish(record('k01')));
    const flushing = producer.flush();
    // One full batch in flight and one staged; the partial one leaves once the lane is idle.
    for (const [i, sizes] of [
      [3, 3],
      [3, 3],
      [3, 3, 1],
    ].entries()) {
      await jest.advanceTimersByTimeAsync(5);
      expect(sender.calls.map((c) => c.keys.length)).toEqual(sizes);
      expect(await settled(flushing)).toBe(false);
      sender.calls[i].resolve();
    }
    await jest.advanceTimersByTimeAsync(5);
    expect(await settled(flushing)).toBe(true);
    await Promise.all(published);
  });

  it('sizes the soft limit by time: what Kafka acknowledged in targetQueueMs, between its floor and cap', async () => {
    const sender = new RecordingSender();
    producer = producerWith(sender, {
      maxBatchBytes: RECORD_BYTES * 10,
      softLimitBytes: RECORD_BYTES * 1000,
      minQueueBytes: RECORD_BYTES * 20,
      targetQueueMs: 500,
      stagedBatches: 1000,
    });
    expect(producer.softLimitBytes).toBe(RECORD_BYTES * 20); // nothing measured yet: the floor
    // Kafka takes 400 records per second for two seconds: 200 records' worth are 0.5 s of queue.
    for (let step = 0; step < 8; step++) {
      const batch = Array.from({ length: 100 }, () => producer!.publish(record('k01')));
      await jest.advanceTimersByTimeAsync(5);
      sender.calls.splice(0).forEach((c) => c.resolve());
      await Promise.all(batch);
      await jest.advanceTimersByTimeAsync(245);
    }
    expect(producer.softLimitBytes).toBeCloseTo(RECORD_BYTES * 200, -1);
    expect(producer.isSaturated(0)).toBe(false);
    // Kafka stops answering: the measured rate falls to nothing and the limit back to its floor.
    await jest.advanceTimersByTimeAsync(2500);
    expect(producer.softLimitBytes).toBe(RECORD_BYTES * 20);
    const waiting = Array.from({ length: 20 }, () => producer!.publish(record('k01')));
    expect(producer.isSaturated(0)).toBe(true);
    await jest.advanceTimersByTimeAsync(5);
    sender.calls.splice(0).forEach((c) => c.resolve());
    await Promise.all(waiting);
  });
});
