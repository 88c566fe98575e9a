import type { Producer, ProducerBatch } from 'kafkajs';

/**
 * What BatchingProducer hands its batches to. Batches of one lane must reach Kafka one after
 * another: each is sent only after the previous one of its lane succeeded or finally failed, so a
 * retried batch can never be overtaken by a newer batch of the same keys. A batch still waiting
 * for its turn at `notAfter` (epoch ms) fails without being sent.
 */
export interface LaneSender {
  sendLaneBatch(lane: number, batch: ProducerBatch, notAfter: number): Promise<void>;
}

/** Runs tasks one at a time per lane, in the order they were given; lanes run side by side. */
export class SerialLanes {
  private readonly tails = new Map<number, Promise<void>>();

  run(lane: number, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(lane);
    const result = previous ? previous.then(task) : task();
    const tail = result.catch(() => undefined);
    this.tails.set(lane, tail);
    void tail.then(() => {
      if (this.tails.get(lane) === tail) this.tails.delete(lane);
    });
    return result;
  }
}

export class StaleBatchError extends Error {
  constructor() {
    super('batch waited past its publish deadline and was not sent');
    this.name = 'StaleBatchError';
  }
}

/** Sends a batch through `send` in its lane's turn, unless its deadline passed while it waited. */
export function sendInTurn(
  lanes: SerialLanes,
  lane: number,
  notAfter: number,
  send: () => Promise<unknown>,
): Promise<void> {
  return lanes.run(lane, async () => {
    if (Date.now() > notAfter) throw new StaleBatchError();
    await send();
  });
}

/** A kafkajs producer in this thread as a LaneSender. */
export function inProcessLaneSender(producer: Pick<Producer, 'sendBatch'>): LaneSender {
  const lanes = new SerialLanes();
  return {
    sendLaneBatch: (lane, batch, notAfter) =>
      sendInTurn(lanes, lane, notAfter, () => producer.sendBatch(batch)),
  };
}
