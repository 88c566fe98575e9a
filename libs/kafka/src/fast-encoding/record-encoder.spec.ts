import { randomBytes } from 'node:crypto';
import { recordEncoder, RecordInput } from './record-encoder';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' internal modules are the reference */
const Encoder = require('kafkajs/src/protocol/encoder') as { prototype: object };
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: RecordInput) => {
  buffer: Buffer;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const encode = recordEncoder(Encoder.prototype);

/** A small seeded generator, so that a failure can be replayed. */
function generator(seed: number) {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(options: T[]) => options[Math.floor(next() * options.length)];
  const int = (max: number) => Math.floor(next() * max);
  const text = () => pick(['', 'a', 'host-17', 'ünïcødé ☃', '日本語のホスト', 'x'.repeat(int(300))]);
  const bytes = () => pick([null, undefined, text(), randomBytes(int(3000)), Buffer.alloc(0)]);
  return { pick, int, text, bytes };
}

function randomRecord(g: ReturnType<typeof generator>): RecordInput {
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (let i = g.int(8); i > 0; i--) {
    const value = () => g.pick([g.text(), randomBytes(g.int(60))]);
    headers[g.pick(['tenant-id', 'agent-id', 'message-id', 'größe', `h${g.int(1000)}`])] =
      g.int(5) === 0 ? [value(), value()] : value();
  }
  return {
    offsetDelta: g.pick([0, 1, 127, 128, 16_383, 16_384, g.int(1_000_000)]),
    timestampDelta: g.pick([
      0,
      1,
      -1,
      63,
      64,
      -65,
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 40 + 7,
      -(2 ** 44),
      g.int(1e9),
    ]),
    key: g.bytes(),
    value: g.bytes(),
    headers: g.int(4) === 0 ? undefined : headers,
  };
}

describe('recordEncoder', () => {
  it.each([1, 2, 3])('writes the bytes kafkajs writes for 2,000 varied records (seed %i)', (seed) => {
    const g = generator(seed);
    for (let i = 0; i < 2000; i++) {
      const record = randomRecord(g);
      const ours = encode(record);
      expect(ours).toBeInstanceOf(Encoder as unknown as new () => object);
      expect(ours.buffer.equals(kafkajsRecord(record).buffer)).toBe(true);
    }
  });

  it('encodes a gateway record: key, 2.4 KB value, six headers', () => {
    const record = {
      offsetDelta: 349,
      timestampDelta: 0,
      key: Buffer.from('ag_0123456789abcdef/host-17'),
      value: randomBytes(2471),
      headers: {
        'tenant-id': Buffer.from('default'),
        'agent-id': Buffer.from('ag_0123456789abcdef'),
        'message-id': Buffer.from('0b7c2a1e-1234-4cde-9abc-0123456789ab:123456'),
        'received-at': Buffer.from('1795636127482'),
        'gateway-id': Buffer.from('gw-1'),
        schema: Buffer.from('containeragent.AgentMessage/1'),
      },
    };
    expect(encode(record).buffer).toEqual(kafkajsRecord(record).buffer);
  });

  it('refuses a header without a value, as kafkajs does', () => {
    const record = { key: 'k', value: 'v', headers: { broken: null } };
    expect(() => encode(record)).toThrow('header broken has no value');
    expect(() => kafkajsRecord(record)).toThrow();
  });
});
