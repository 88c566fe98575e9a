import { installFastProduceEncoding } from './install';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' internal modules, loaded before and after */
type ProduceRequest = (args: object) => { encode(): Promise<{ buffer: Buffer }> };
const PRODUCE_V3 = 'kafkajs/src/protocol/requests/produce/v3/request';

const topicData = [
  {
    topic: 'stats',
    partitions: [0, 1, 2].map((partition) => ({
      partition,
      firstSequence: 0,
      messages: Array.from({ length: 50 }, (_, i) => ({
        key: Buffer.from(`ag_${partition}/host-${i}`),
        value: Buffer.alloc(500 + i, i),
        headers: { 'message-id': `m-${partition}-${i}`, 'received-at': String(1795636127482 + i) },
        timestamp: String(1795636127482 + i), // fixed, so that both encodings see the same times
      })),
    })),
  },
];
const request = (Produce: ProduceRequest) =>
  Produce({ acks: -1, timeout: 30000, compression: 0, topicData })
    .encode()
    .then((e) => e.buffer);

describe('installFastProduceEncoding', () => {
  it('makes kafkajs encode Produce requests with the fast encoders, to the same bytes', async () => {
    let original: Buffer | undefined;
    await jest.isolateModulesAsync(async () => {
      original = await request(require(PRODUCE_V3) as ProduceRequest);
    });

    expect(installFastProduceEncoding()).toBe('installed');
    expect(installFastProduceEncoding()).toBe('installed');
    const recordModule = require('kafkajs/src/protocol/recordBatch/record/v0') as { name: string };
    expect(recordModule.name).toBe('encodeRecord');
    const fast = await request(require(PRODUCE_V3) as ProduceRequest);
    expect(fast.length).toBeGreaterThan(75_000);
    expect(fast.equals(original!)).toBe(true);
  });

  it('writes plain requests (no record timestamps) in one pass, to the bytes kafkajs writes', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1795636127482);
    try {
      const plain = (data: typeof topicData) =>
        data.map((t) => ({
          ...t,
          partitions: t.partitions.map((p) => ({
            ...p,
            messages: p.messages.map(({ timestamp: _, ...m }) => m),
          })),
        }));
      const cases = [
        { acks: -1, timeout: 30000, compression: 0, topicData: plain(topicData) },
        {
          acks: 1,
          timeout: 5000,
          topicData: [
            ...plain(topicData),
            { topic: 'tøpic-2', partitions: [{ partition: 7, firstSequence: 0, messages: [] }] },
          ],
        },
      ];
      const originals: Buffer[] = [];
      await jest.isolateModulesAsync(async () => {
        const Produce = require(PRODUCE_V3) as ProduceRequest;
        for (const args of cases) originals.push((await Produce(args).encode()).buffer);
      });
      expect(installFastProduceEncoding()).toBe('installed');
      const Produce = require(PRODUCE_V3) as ProduceRequest;
      for (const [i, args] of cases.entries()) {
        const request = Produce(args);
        expect(request.encode.name).toBe('encodeInOnePass');
        expect((await request.encode()).buffer.equals(originals[i])).toBe(true);
      }
    } finally {
      now.mockRestore();
    }
  });

  it('leaves kafkajs alone once it has loaded its own encoders', () => {
    jest.isolateModules(() => {
      require(PRODUCE_V3);
      const { installFastProduceEncoding: installLate } = require('./install') as typeof import('./install');
      expect(installLate()).toBe('too-late');
    });
  });
});
