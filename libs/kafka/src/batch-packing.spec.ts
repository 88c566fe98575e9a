import type { Message } from 'kafkajs';
import { packBatch, unpackBatch } from './batch-packing';
import { PackBufferPool } from './pack-buffer-pool';
import { PackedHeaders } from './packed-headers';

const text = (v: Message['value'] | undefined) => (v === null || v === undefined ? v : v.toString());

describe('packBatch / unpackBatch', () => {
  it('carries topics, keys, values and headers across unchanged, in order', () => {
    const long = 'k'.repeat(100);
    const input = [
      {
        topic: 'stats',
        messages: [
          {
            key: 'ag_1/host-a',
            value: Buffer.from([0, 1, 2, 255]),
            headers: { 'tenant-id': 'default', 'agent-id': 'ag_1' },
          },
          {
            key: 'ünïcødé/主机',
            value: 'snow ☃ value',
            headers: { größe: 'wert ☃', plain: Buffer.from('bytes') },
          },
          { key: null, value: null, headers: {} },
          { key: long, value: Buffer.alloc(0) },
        ],
      },
      {
        topic: 'dlq',
        messages: [{ key: Buffer.from('raw-key'), value: Buffer.alloc(3000, 7), headers: { reason: 'x' } }],
      },
    ];
    const packed = packBatch(input);
    expect(packed.count).toBe(5);
    const output = unpackBatch(packed.topics, Buffer.from(packed.data), packed.count);

    expect(output.map((t) => t.topic)).toEqual(['stats', 'dlq']);
    const [stats, dlq] = output;
    expect(stats.messages.map((m) => text(m.key))).toEqual(['ag_1/host-a', 'ünïcødé/主机', null, long]);
    expect(stats.messages[0].value).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(text(stats.messages[1].value)).toBe('snow ☃ value');
    expect(stats.messages[2].value).toBeNull();
    expect(stats.messages[3].value).toEqual(Buffer.alloc(0));
    const headers = (m: Message) =>
      Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v as Buffer)]));
    expect(headers(stats.messages[0])).toEqual({ 'tenant-id': 'default', 'agent-id': 'ag_1' });
    expect(headers(stats.messages[1])).toEqual({ größe: 'wert ☃', plain: 'bytes' });
    expect(headers(stats.messages[2])).toEqual({});
    expect(dlq.messages[0].key).toEqual(Buffer.from('raw-key'));
    expect(dlq.messages[0].value).toEqual(Buffer.alloc(3000, 7));
  });

  it('refuses multi-valued headers instead of dropping values', () => {
    expect(() =>
      packBatch([{ topic: 't', messages: [{ key: 'k', value: 'v', headers: { h: ['a', 'b'] } }] }]),
    ).toThrow('multi-valued');
  });

  it("writes a record's fixed headers before its own, as ordinary headers on the other side", () => {
    const fixed = new PackedHeaders({ 'tenant-id': 'tenant ☃', 'agent-id': 'ag_1' });
    const message = {
      key: 'k',
      value: Buffer.from('v'),
      headers: { 'message-id': 's:1' },
      fixedHeaders: fixed,
    };
    const packed = packBatch([{ topic: 't', messages: [message, { key: 'k2', value: 'w', headers: {} }] }]);
    const [{ messages }] = unpackBatch(packed.topics, Buffer.from(packed.data), packed.count);
    const text = (m: Message) => Object.entries(m.headers ?? {}).map(([k, v]) => `${k}=${String(v)}`);
    expect(text(messages[0])).toEqual(['tenant-id=tenant ☃', 'agent-id=ag_1', 'message-id=s:1']);
    expect(text(messages[1])).toEqual([]);
    expect(String(messages[1].value)).toBe('w');
  });

  it('packs into the buffer it is given, which may be larger and hold old bytes', () => {
    const pool = new PackBufferPool(2, 1024);
    const first = pool.take(100);
    new Uint8Array(first).fill(0xee);
    pool.give(first);
    const packed = packBatch(
      [{ topic: 't', messages: [{ key: 'k', value: Buffer.from('abc'), headers: {} }] }],
      (n) => pool.take(n),
    );
    expect(packed.data).toBe(first);
    expect(packed.size).toBeLessThan(first.byteLength);
    const [{ messages }] = unpackBatch(packed.topics, Buffer.from(packed.data), packed.count);
    expect(messages.map((m) => [String(m.key), String(m.value)])).toEqual([['k', 'abc']]);
  });
});

describe('PackBufferPool', () => {
  it('hands back a returned buffer that fits, and a new one otherwise', () => {
    const pool = new PackBufferPool(1, 64);
    const small = pool.take(10);
    expect(small.byteLength).toBeGreaterThanOrEqual(64);
    pool.give(small);
    const big = pool.take(small.byteLength + 1);
    expect(big).not.toBe(small);
    expect(big.byteLength).toBeGreaterThan(small.byteLength);
    pool.give(big); // full: keeps the larger one
    expect(pool.take(10)).toBe(big);
    expect(pool.take(10)).not.toBe(small);
  });
});
