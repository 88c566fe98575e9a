import type { Message, ProducerBatch } from 'kafkajs';
import { PackedHeaders } from './packed-headers';
import { inProcessLaneSender, SerialLanes, sendInTurn, StaleBatchError } from './serial-lanes';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SerialLanes', () => {
  it('runs the tasks of one lane one at a time, in order, and lanes side by side', async () => {
    const lanes = new SerialLanes();
    const started: string[] = [];
    const a1 = deferred();
    const a2 = deferred();
    const b1 = deferred();
    const runs = [
      lanes.run(0, () => (started.push('a1'), a1.promise)),
      lanes.run(0, () => (started.push('a2'), a2.promise)),
      lanes.run(1, () => (started.push('b1'), b1.promise)),
    ];
    await tick();
    expect(started).toEqual(['a1', 'b1']);
    a1.resolve();
    await tick();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    a2.resolve();
    b1.resolve();
    await Promise.all(runs);
  });

  it('goes on with the next task of a lane after a failure, and reports the failure to its caller', async () => {
    const lanes = new SerialLanes();
    const failing = lanes.run(0, () => Promise.reject(new Error('broker said no')));
    const next = lanes.run(0, () => Promise.resolve());
    await expect(failing).rejects.toThrow('broker said no');
    await expect(next).resolves.toBeUndefined();
  });
});

describe('sendInTurn', () => {
  afterEach(() => jest.useRealTimers());

  it('does not send a batch whose deadline passed while it waited for its turn', async () => {
    jest.useFakeTimers();
    const lanes = new SerialLanes();
    const first = deferred();
    const send = jest.fn(() => Promise.resolve());
    const running = sendInTurn(lanes, 0, Date.now() + 60_000, () => first.promise);
    const stale = sendInTurn(lanes, 0, Date.now() + 20, send);
    jest.advanceTimersByTime(40);
    first.resolve();
    await running;
    await expect(stale).rejects.toBeInstanceOf(StaleBatchError);
    expect(send).not.toHaveBeenCalled();
  });
});

describe('inProcessLaneSender', () => {
  it("gives kafkajs the fixed headers merged before the record's own", async () => {
    const sent: ProducerBatch[] = [];
    const sender = inProcessLaneSender({ sendBatch: (batch) => (sent.push(batch), Promise.resolve([])) });
    const fixedHeaders = new PackedHeaders({ 'tenant-id': 't1', schema: 's' });
    await sender.sendLaneBatch(
      0,
      {
        topicMessages: [
          { topic: 'x', messages: [{ key: 'k', value: 'v', headers: { id: '1' }, fixedHeaders } as Message] },
        ],
      },
      Date.now() + 1000,
      0,
    );
    expect(sent[0].topicMessages?.[0].messages[0]).toEqual({
      key: 'k',
      value: 'v',
      headers: { 'tenant-id': 't1', schema: 's', id: '1' },
    });
  });
});
