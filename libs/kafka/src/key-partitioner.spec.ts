import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { KeyPartitioner, murmur2 } from './key-partitioner';

/* eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own hash, the reference */
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (k: Buffer) => number;

const partitions = (n: number) =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));

describe('KeyPartitioner', () => {
  it("hashes like Kafka's murmur2 (kafkajs) for keys of every length and content", () => {
    for (let length = 0; length < 80; length++) {
      for (let n = 0; n < 20; n++) {
        const key = randomBytes(length);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }
    }
    // The Java client's published values: Utils.murmur2("21".getBytes()) etc. (KafkaJS test vectors)
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
  });

  it("picks kafkajs' DefaultPartitioner partition for every key", () => {
    const ours = KeyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 7, 32]) {
      const partitionMetadata = partitions(count);
      for (let i = 0; i < 500; i++) {
        const key = i % 2 ? `ag_${randomBytes(10).toString('hex')}/host-${i}` : randomBytes(i % 40);
        const message = { key, value: 'v' };
        expect(ours({ topic: 't', partitionMetadata, message })).toBe(
          theirs({ topic: 't', partitionMetadata, message }),
        );
      }
    }
  });

  it('keeps an explicit partition, and spreads keyless records over partitions with a leader', () => {
    const partitioner = KeyPartitioner();
    const partitionMetadata = partitions(4);
    expect(
      partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 2 } }),
    ).toBe(2);
    partitionMetadata[1].leader = -1;
    const chosen = new Set(
      Array.from({ length: 40 }, () =>
        partitioner({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } }),
      ),
    );
    expect(chosen).toEqual(new Set([0, 2, 3]));
  });
});
