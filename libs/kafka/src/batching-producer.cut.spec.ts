import type { Message, ProducerBatch } from 'kafkajs';
import { Metrics } from '@app/observability';
import { BatchingProducer, BatchingProducerOptions, OutboundRecord, PublishError } from './batching-producer';
import { inProcessLaneSender, LaneCutError, LaneSender } from './serial-lanes';

/** Records what it was handed, with the epoch; each call waits until the test settles it. */
class RecordingSender implements LaneSender {
  readonly calls: {
    keys: string[];
    epoch: number;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];

  sendLaneBatch(_lane: number, batch: ProducerBatch, _notAfter: number, epoch: number): Promise<void> {
    return new Promise((resolve, reject) => this.calls.push({ keys: keysOf(batch), epoch, resolve, reject }));
  }
}

const keysOf = (batch: ProducerBatch) =>
  (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m: Message) => String(m.key)));

const RECORD_BYTES = 100 + 3 + 64; // value + key + per-record allowance of recordBytes()
/** Records of one stream share the order key `a`; the record key tells them apart. */
const record = (key: string, orderKey = 'a', valueBytes = 100): OutboundRecord => ({
  topic: 't',
  key,
  orderKey,
  value: Buffer.alloc(valueBytes),
  headers: {},
});
const tick = () => new Promise((r) => setImmediate(r));

/** Publishes and keeps each outcome: 'ok' or the PublishError's message. */
function publishAll(producer: BatchingProducer, keys: string[]): Map<string, string | undefined> {
  const outcomes = new Map<string, string | undefined>(keys.map((k) => [k, undefined]));
  for (const key of keys) {
    producer.send(record(key), (error) => outcomes.set(key, error ? error.message : 'ok'));
  }
  return outcomes;
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
      stagedBatches: 1,
      ...options,
    },
    new Metrics('test', false),
  );
}

const CUT = 'an earlier batch of this lane failed; not sent';
/** Record keys k01, k02, …: three characters, as RECORD_BYTES assumes. */
const keys = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `k${String(from + i).padStart(2, '0')}`);

describe('BatchingProducer: a failure cuts its lane', () => {
  let producer: BatchingProducer | undefined;
  let sender: RecordingSender;
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    sender = new RecordingSender();
  });
  afterEach(async () => {
    jest.useRealTimers();
    // What a test left unanswered, a real sender would reject as cut.
    sender.calls.forEach((c) => c.reject(new LaneCutError()));
    await producer?.close().catch(() => undefined);
    producer = undefined;
  });

  it('fails the staged and queued records of the lane at once, without handing them to the sender', async () => {
    producer = producerWith(sender);
    const outcomes = publishAll(producer, keys(1, 8));
    // k1-k3 in flight, k4-k6 staged, k7-k8 queued.
    expect(sender.calls.map((c) => c.keys)).toEqual([keys(1, 3), keys(4, 6)]);
    sender.calls[0].reject(new Error('NOT_LEADER'));
    await tick();
    expect([...outcomes.values()]).toEqual([
      ...keys(1, 3).map(() => 'Kafka refused the batch: NOT_LEADER'),
      ...keys(4, 8).map(() => CUT),
    ]);
    await jest.advanceTimersByTimeAsync(100);
    expect(sender.calls).toHaveLength(2);
    expect(producer.lastFailure).toMatchObject({
      reason: 'kafka',
      message: 'Kafka refused the batch: NOT_LEADER',
    });
  });

  it('sends the records published after the cut, in a new epoch', async () => {
    producer = producerWith(sender);
    publishAll(producer, keys(1, 4));
    sender.calls[0].reject(new Error('NOT_LEADER'));
    await tick();
    const after = publishAll(producer, ['k05']);
    await jest.advanceTimersByTimeAsync(5); // the linger
    expect(sender.calls.map((c) => [c.keys, c.epoch])).toEqual([
      [keys(1, 3), 0],
      [['k05'], 1],
    ]);
    sender.calls[1].resolve();
    await tick();
    expect(after.get('k05')).toBe('ok');
    expect(producer.lastAckAt).toBe(Date.now());
  });

  it('cuts on its own timeout, and a late failure of that older epoch does not cut the new one', async () => {
    producer = producerWith(sender, { sendTimeoutMs: 1000 });
    const before = publishAll(producer, keys(1, 4));
    await jest.advanceTimersByTimeAsync(1000);
    expect([...before.values()]).toEqual([...keys(1, 3).map(() => 'Kafka did not acknowledge in time'), CUT]);
    // The sender is still retrying k1-k3: the new epoch's full batch is staged behind it, the rest queues.
    const after = publishAll(producer, keys(5, 8));
    await tick();
    expect(sender.calls.map((c) => [c.keys, c.epoch])).toEqual([
      [keys(1, 3), 0],
      [keys(5, 7), 1],
    ]);
    sender.calls[0].reject(new Error('Connection error'));
    await tick();
    expect([...after.values()]).toEqual([undefined, undefined, undefined, undefined]);
    sender.calls[1].resolve();
    await jest.advanceTimersByTimeAsync(5);
    expect(sender.calls.map((c) => [c.keys, c.epoch])[2]).toEqual([['k08'], 1]);
    sender.calls[2].resolve();
    await tick();
    expect([...after.values()]).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('cuts the lane when a queued record expires, so nothing queued behind it is sent', async () => {
    const sender = new RecordingSender();
    // A long linger keeps records queued past their deadline.
    producer = producerWith(sender, { sendTimeoutMs: 1000, lingerMs: 60_000 });
    const early = publishAll(producer, ['k01']);
    await jest.advanceTimersByTimeAsync(500);
    const later = publishAll(producer, ['k02']);
    await jest.advanceTimersByTimeAsync(750); // k1's deadline passed; k2's has not
    expect(early.get('k01')).toBe('Kafka did not acknowledge in time');
    expect(later.get('k02')).toBe('Kafka did not acknowledge in time');
    expect(producer.lastFailure?.reason).toBe('timeout');
    const next = publishAll(producer, keys(3, 5));
    await tick();
    expect(sender.calls.map((c) => [c.keys, c.epoch])).toEqual([[keys(3, 5), 1]]);
    sender.calls[0].resolve();
    await tick();
    expect([...next.values()]).toEqual(['ok', 'ok', 'ok']);
  });

  it('refuses a later record of a key whose caller has not heard of its refusal yet', async () => {
    producer = producerWith(sender, { hardLimitBytes: RECORD_BYTES * 4 });
    const outcomes = new Map<string, string>();
    const send = (key: string, orderKey: string, valueBytes: number) =>
      producer!.send(record(key, orderKey, valueBytes), (e) => outcomes.set(key, e ? e.reason : 'ok'));
    send('k01', 'a', 100);
    send('k02', 'a', 100);
    send('k03', 'a', 100);
    send('k04', 'a', 400); // over the hard limit
    send('k05', 'a', 50); // would fit, but would be stored after k4, which is not
    send('k06', 'b', 50); // another key is not held back
    await tick();
    expect(Object.fromEntries(outcomes)).toEqual({ k04: 'overloaded', k05: 'overloaded' });
    expect(producer.lastFailure?.reason).toBe('overloaded');
    sender.calls.forEach((c) => c.resolve()); // k01-k03; then k06 leaves
    await tick();
    sender.calls.forEach((c) => c.resolve());
    await tick();
    expect(Object.fromEntries(outcomes)).toMatchObject({ k01: 'ok', k02: 'ok', k03: 'ok', k06: 'ok' });
    send('k07', 'a', 50);
    await jest.advanceTimersByTimeAsync(5);
    sender.calls.forEach((c) => c.resolve());
    await tick();
    expect(outcomes.get('k07')).toBe('ok');
  });
});

describe('BatchingProducer with inProcessLaneSender: staged batches of a failed epoch', () => {
  afterEach(() => jest.useRealTimers());

  it('are not sent to Kafka, and the next epoch is', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    const sent: string[][] = [];
    const attempts: { resolve: () => void; reject: (e: Error) => void }[] = [];
    const kafka = {
      sendBatch: (batch: ProducerBatch) => {
        sent.push(keysOf(batch));
        return new Promise<never[]>((resolve, reject) =>
          attempts.push({ resolve: () => resolve([]), reject }),
        );
      },
    };
    const producer = producerWith(inProcessLaneSender(kafka));
    const outcomes = new Map<string, PublishError | 'ok'>();
    for (const key of keys(1, 6)) producer.send(record(key), (e) => outcomes.set(key, e ?? 'ok'));
    await tick();
    // k4-k6 are staged with the sender, behind k1-k3.
    expect(sent).toEqual([keys(1, 3)]);
    attempts[0].reject(new Error('Connection error'));
    await tick();
    expect(sent).toEqual([keys(1, 3)]);
    expect(outcomes.get('k04')).toMatchObject({ message: CUT });
    // The staged batch's own rejection (LaneCutError) is no failure of Kafka's.
    expect(producer.lastFailure?.message).toBe('Kafka refused the batch: Connection error');
    for (const key of keys(7, 9)) producer.send(record(key), (e) => outcomes.set(key, e ?? 'ok'));
    await tick();
    expect(sent).toEqual([keys(1, 3), keys(7, 9)]);
    attempts[1].resolve();
    await tick();
    expect(keys(7, 9).map((k) => outcomes.get(k))).toEqual(['ok', 'ok', 'ok']);
    await producer.close();
    expect(new LaneCutError().message).toBe(CUT);
  });
});
