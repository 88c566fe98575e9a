import type { Producer, ProducerBatch } from 'kafkajs';
import type { PackedHeaders } from './packed-headers';

/**
 * What BatchingProducer hands its batches to. Batches of one lane must reach Kafka one after
 * another: each is sent only after the previous one of its lane succeeded or finally failed, so a
 * retried batch can never be overtaken by a newer batch of the same keys. A batch still waiting
 * for its turn at `notAfter` (epoch ms) fails without being sent.
 *
 * `epoch` is the lane's epoch when the batch was dispatched (it never decreases within a lane).
 * Once a batch of a lane failed or was not sent, no later batch of that lane with the same or an
 * older epoch is sent: it fails with LaneCutError. The producer starts a new epoch only after it
 * learned of the failure and failed everything it still held of the lane, so the batches cut here
 * are exactly those dispatched before it knew, and a stream never reaches Kafka past a hole.
 */
export interface LaneSender {
  sendLaneBatch(lane: number, batch: ProducerBatch, notAfter: number, epoch: number): Promise<void>;
}

/**
 * Runs tasks one at a time per lane, in the order they were given; lanes run side by side. Also
 * keeps, per lane, the highest epoch that was cut (see LaneSender and sendInTurn).
 */
export class SerialLanes {
  private readonly tails = new Map<number, Promise<void>>();
  private readonly cutEpochs = new Map<number, number>();

  run(lane: number, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(lane);
    const result = previous ? previous.then(task) : task();
    const tail = result.catch(() => undefined);
    this.tails.set(lane, tail);
    // `tail` never rejects; the cleanup is a plain callback, so this chain cannot reject either.
    tail.then(
      () => {
        if (this.tails.get(lane) === tail) this.tails.delete(lane);
      },
      () => undefined,
    );
    return result;
  }

  /** Whether batches of `epoch` in `lane` may no longer be sent. */
  isCut(lane: number, epoch: number): boolean {
    const cut = this.cutEpochs.get(lane);
    return cut !== undefined && epoch <= cut;
  }

  /** A batch of `epoch` failed or was not sent: its successors of that epoch (or older) are cut. */
  cut(lane: number, epoch: number): void {
    if (!this.isCut(lane, epoch)) this.cutEpochs.set(lane, epoch);
  }
}

export class StaleBatchError extends Error {
  constructor() {
    super('batch waited past its publish deadline and was not sent');
    this.name = 'StaleBatchError';
  }
}

/** A batch not sent because an earlier batch of its lane and epoch failed (see LaneSender). */
export class LaneCutError extends Error {
  constructor() {
    super('an earlier batch of this lane failed; not sent');
    this.name = 'LaneCutError';
  }
}

/**
 * Sends a batch through `send` in its lane's turn, unless its deadline passed while it waited or
 * its epoch was cut. Without an epoch (callers that never cut lanes) only the deadline applies.
 */
export function sendInTurn(
  lanes: SerialLanes,
  lane: number,
  notAfter: number,
  send: () => Promise<unknown>,
  epoch?: number,
): Promise<void> {
  return lanes.run(lane, async () => {
    if (epoch !== undefined && lanes.isCut(lane, epoch)) throw new LaneCutError();
    try {
      if (Date.now() > notAfter) throw new StaleBatchError();
      await send();
    } catch (error) {
      if (epoch !== undefined) lanes.cut(lane, epoch);
      throw error;
    }
  });
}

/** A kafkajs producer in this thread as a LaneSender. */
export function inProcessLaneSender(producer: Pick<Producer, 'sendBatch'>): LaneSender {
  const lanes = new SerialLanes();
  return {
    sendLaneBatch: (lane, batch, notAfter, epoch) =>
      sendInTurn(lanes, lane, notAfter, () => producer.sendBatch(withFixedHeaders(batch)), epoch),
  };
}

/** kafkajs knows only `headers`: records with PackedHeaders get them merged in, before their own. */
function withFixedHeaders(batch: ProducerBatch): ProducerBatch {
  const topicMessages = batch.topicMessages?.map(({ topic, messages }) => ({
    topic,
    messages: messages.map((m) => {
      const fixed = (m as { fixedHeaders?: PackedHeaders }).fixedHeaders;
      return fixed ? { key: m.key, value: m.value, headers: { ...fixed.values, ...m.headers } } : m;
    }),
  }));
  return { ...batch, topicMessages };
}
