import { agentpb } from '@app/contracts';
import { encodeStatsMessage } from '@app/testing';
import { AgentMessageReader, ReadResult } from './agent-message.reader';

/**
 * Differential test: the reader (its wire-level fast path, falling back to the decoding path)
 * against the decoding path alone (the generated decoder and the rules on objects), on seeded
 * random messages of every type and on mutations of them.
 */
const { DataType } = agentpb;
const NOW = Date.UTC(2026, 0, 1);
const KEY = 'ak_test_key_0001';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  /** Clean messages keep every string and list within the limits (unicode included). */
  clean = false;
  constructor(
    readonly random: () => number,
    readonly limits: { maxStringBytes: number; maxListItems: number },
  ) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  string(): string {
    const max = this.limits.maxStringBytes;
    if (this.clean) {
      const text = this.pick(['', 'web-1', 'nginx:1.27', 'é', '한글', '😀', '\ufeff', 'x'.repeat(max)]);
      return Buffer.byteLength(text) <= max ? text : 'short';
    }
    switch (this.int(10)) {
      case 0:
        return '';
      case 1:
        return 'x'.repeat(max + this.int(3) - 1); // around the limit
      case 2:
        return '한'.repeat(Math.floor(max / 3) + this.int(3) - 1);
      case 3:
        return '😀'.repeat(Math.floor(max / 4) + this.int(3) - 1);
      case 4:
        return `\ufeff${'é'.repeat(this.int(max / 2))}`;
      default: {
        const chars = 'abcxyz0123456789-_./:';
        let s = '';
        for (let i = this.int(24); i > 0; i--) s += this.pick(chars.split(''));
        return s;
      }
    }
  }
  count(): number {
    if (this.clean) return this.int(Math.min(3, this.limits.maxListItems) + 1);
    return this.chance(0.1) ? this.limits.maxListItems + this.int(2) : this.int(this.limits.maxListItems + 1);
  }
  list<T>(make: () => T): T[] {
    return Array.from({ length: this.count() }, make);
  }
  map<T>(make: () => T): Record<string, T> {
    const out: Record<string, T> = {};
    for (let i = this.count(); i > 0; i--)
      out[this.chance(0.9) ? `k${this.int(1000)}` : this.string()] = make();
    return out;
  }
  uint64(): string {
    return this.pick([
      '0',
      '1',
      '2147483648',
      '18446744073709551615',
      String(this.int(1e9)),
      '9007199254740993',
    ]);
  }
  double(max: number): number {
    if (this.clean || this.chance(0.9)) return this.random() * max;
    return this.pick([NaN, Infinity, -Infinity, -0, -0.5, max, max + 1, 1e300, Number.MIN_VALUE]);
  }
  timestamp(): string {
    const s = Math.floor(NOW / 1000) - this.int(1e6);
    return this.pick([
      '0',
      String(s),
      String(s * 1000 + this.int(1000)),
      String(BigInt(s) * 1_000_000n + BigInt(this.int(1e6))),
      String(BigInt(s) * 1_000_000_000n + BigInt(this.int(1e9))),
      String(NOW + 2 * 86_400_000),
      String(Date.UTC(1990, 0, 1)),
      '-5',
      '-9223372036854775808',
      '9223372036854775807',
      '1',
      String(NOW * 1000 + 86_400_000 * 1000),
    ]);
  }
  stats(): agentpb.ContainerStatsData {
    return {
      stats: this.list(() => ({
        id: this.string(),
        name: this.string(),
        cpuPercent: this.double(409_600),
        memoryUsage: this.uint64(),
        memoryLimit: this.uint64(),
        memoryPercent: this.double(100_000),
        networkRx: this.uint64(),
        networkTx: this.uint64(),
      })),
    };
  }
  list_(): agentpb.ContainerListData {
    return {
      containers: this.list(() => ({
        id: this.string(),
        name: this.string(),
        image: this.string(),
        state: this.string(),
        status: this.string(),
      })),
    };
  }
  inspect(): agentpb.ContainerInspectData {
    return {
      inspects: this.list(() =>
        agentpb.ContainerInspect.fromPartial({
          id: this.string(),
          name: this.string(),
          state: this.chance(0.7)
            ? {
                status: this.string(),
                running: this.chance(0.5),
                exitCode: this.pick([0, 1, -1, 2147483647, -2147483648]),
                startedAt: this.string(),
              }
            : undefined,
          config: this.chance(0.7)
            ? {
                hostname: this.string(),
                env: this.list(() => this.string()),
                cmd: this.list(() => this.string()),
                entrypoint: this.list(() => this.string()),
                labels: this.map(() => this.string()),
              }
            : undefined,
          network: this.chance(0.7)
            ? {
                ipAddress: this.string(),
                ports: this.map(() => ({
                  bindings: this.list(() => ({ hostIp: this.string(), hostPort: this.string() })),
                })),
                networks: this.map(() => ({ networkId: this.string(), gateway: this.string() })),
              }
            : undefined,
          mounts: this.list(() => ({ type: this.string(), source: this.string(), rw: this.chance(0.5) })),
        }),
      ),
    };
  }
  event(): agentpb.ContainerEventData {
    return {
      type: this.string(),
      action: this.string(),
      actorId: this.string(),
      actorName: this.string(),
      timestamp: this.timestamp(),
      attrs: this.map(() => this.string()),
    };
  }

  /** A message that is usually valid; `clean` keeps every field plausible. */
  message(clean: boolean): agentpb.AgentMessage {
    this.clean = clean;
    const type = this.pick([DataType.CONTAINER_LIST, DataType.CONTAINER_INSPECT, DataType.CONTAINER_STATS]);
    const payloads = {
      listData: () => this.list_(),
      inspectData: () => this.inspect(),
      statsData: () => this.stats(),
      eventData: () => this.event(),
    };
    const names = Object.keys(payloads) as (keyof typeof payloads)[];
    const message: Partial<agentpb.AgentMessage> = {
      agentKey: KEY,
      type: clean
        ? type
        : this.chance(0.2)
          ? this.pick([DataType.CONTAINER_EVENT, 7 as agentpb.DataType, -1 as agentpb.DataType])
          : type,
      host:
        clean || this.chance(0.7)
          ? `host-${this.int(100)}`
          : this.pick([
              '',
              'a\u0000b',
              'a\u001fb',
              'del\u007f',
              'tab\there',
              '~ok~',
              'h'.repeat(256),
              'h'.repeat(257),
              'hôte',
              this.string(),
            ]),
      timestamp: clean ? String(NOW - this.int(1e6)) : this.timestamp(),
    };
    if (!clean && this.chance(0.1)) message.agentKey = this.pick(['', 'ak_other', `${KEY}é`, KEY.slice(1)]);
    const own = names[message.type === DataType.CONTAINER_EVENT ? 3 : type] ?? 'statsData';
    if (clean || this.chance(0.85)) (message as Record<string, unknown>)[own] = payloads[own]();
    if (!clean && this.chance(0.1)) {
      const other = this.pick(names);
      (message as Record<string, unknown>)[other] = payloads[other]();
    }
    return agentpb.AgentMessage.fromPartial(message);
  }
}

const encode = (m: agentpb.AgentMessage) => Buffer.from(agentpb.AgentMessage.encode(m).finish());

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** Byte-level damage and protobuf oddities on top of an encoded message. */
function mutate(g: Gen, bytes: Buffer): Buffer {
  const b = Array.from(bytes);
  const field = (n: number, wt: number) => varint(BigInt(n * 8 + wt));
  const extras: number[][] = [
    [...field(g.pick([1, 2, 3, 4, 10, 11, 12, 13, 50]), 0), ...varint(BigInt(g.int(1e9)))], // wrong type / unknown
    [...field(99, 2), 3, 1, 2, 3],
    [...field(77, 1), 0, 0, 0, 0, 0, 0, 0xf8, 0x7f],
    [...field(78, 5), 1, 2, 3, 4],
    [...field(4, 0), ...varint(BigInt(g.int(2 ** 40)))], // second timestamp
    [...field(4, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 10-byte varint
    [...field(4, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 11 bytes
    [...field(1, 2), ...varint(BigInt(KEY.length)), ...Buffer.from(KEY)], // second key
    [...field(3, 2), 2, 0x68, 0x69], // second host
    [...field(2, 0), g.int(5)], // second type
    [...field(2, 0), 0x82, 0x00], // non-minimal type
    [...field(5, 3), ...field(1, 0), 1, ...field(5, 4)], // a group
    [...field(12, 2), 0], // empty stats payload
    [...field(12, 2), 11, ...field(1, 2), 9, ...field(3, 1), 0, 0, 0, 0, 0, 0, 0xf0, 0xff], // -Inf cpu
    [...field(12, 2), 4, ...field(1, 2), 2, ...field(3, 0), 5], // cpu as varint: skipped
    [0x80, 0x80, 0x80, 0x80, 0x10], // tag overflowing uint32
    [0x8a, 0x80, 0x80, 0x80, 0x10, 2, 0x61, 0x62], // key tag overflowing uint32
    [0xf8, 0xff, 0xff, 0xff, 0x0f, 1], // largest field number
    [0x8a, 0x80, 0x00, ...varint(BigInt(KEY.length)), ...Buffer.from(KEY)], // non-minimal key tag
    [0], // tag 0
    [...field(11, 2), 0x80, 0x80, 0x80, 0x80, 0x08], // 2^31 length
  ];
  const ops = 1 + g.int(3);
  for (let i = 0; i < ops; i++) {
    switch (g.int(7)) {
      case 0:
        if (b.length) b[g.int(b.length)] = g.int(256);
        break;
      case 1:
        if (b.length) b[g.int(b.length)] ^= 1 << g.int(8);
        break;
      case 2:
        b.length = g.int(b.length + 1);
        break;
      case 3:
        b.splice(g.int(b.length + 1), 0, g.int(256));
        break;
      default: {
        const extra = g.pick(extras);
        if (g.chance(0.5)) b.push(...extra);
        else b.unshift(...extra);
      }
    }
  }
  return Buffer.from(b);
}

/** A comparable text of a result (Buffers as hex: Jest's deep equality is slow). */
function describeResult(result: ReadResult): string {
  const { rejection, type, host, value } = result;
  return JSON.stringify({ rejection, type, host, value: value.toString('hex') });
}

function harness(limits: { maxStringBytes: number; maxListItems: number }) {
  const reader = new AgentMessageReader({ ...limits, maxFutureSkewMs: 86_400_000 });
  return {
    /** Both paths' results, described; and whether the fast path accepted the message. */
    run(bytes: Buffer) {
      // The reference first, on a copy: the fast path may splice `bytes` in place.
      const reference = reader.readByDecoding(Buffer.from(bytes), KEY, NOW);
      const actual = reader.read(bytes, KEY, NOW);
      const fastAccepted = !actual.decoded;
      const inPlace = actual.value.buffer === bytes.buffer;
      return {
        actual: describeResult(actual),
        expected: describeResult(reference),
        reference,
        fastAccepted,
        inPlace,
      };
    },
  };
}

describe('AgentMessageReader: fast path and decoding path agree (differential)', () => {
  it.each([
    [1, { maxStringBytes: 64, maxListItems: 4 }],
    [2, { maxStringBytes: 1024, maxListItems: 5 }],
    [3, { maxStringBytes: 20, maxListItems: 2 }],
  ])('seed %i: same outcome and same record for every message', async (seed, limits) => {
    const g = new Gen(prng(seed), limits);
    const { run } = harness(limits);
    const tally = { cases: 0, fastAccepted: 0, published: 0, cleanMissed: 0, mutatedAccepted: 0 };
    const reasons = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const kind = i % 3; // clean, random, mutated clean
      const clean = kind === 0;
      let bytes: Buffer = encode(g.message(kind !== 1));
      if (kind === 2) bytes = mutate(g, bytes);
      const { actual, expected, reference, fastAccepted } = run(bytes);
      tally.cases++;
      if (fastAccepted) tally.fastAccepted++;
      if (fastAccepted && kind === 2) tally.mutatedAccepted++;
      if (!reference.rejection) tally.published++;
      else reasons.add(reference.rejection.reason);
      if (fastAccepted) expect(reference.rejection).toBeUndefined();
      if (clean && !reference.rejection && !fastAccepted) tally.cleanMissed++;
      if (actual !== expected) {
        throw new Error(
          `case ${i} (${bytes.toString('hex')}):\n read: ${actual}\n decoding path: ${expected}`,
        );
      }
    }
    // The fast path must carry the common case: every clean message the reference publishes.
    expect(tally.cleanMissed).toBe(0);
    expect(tally.fastAccepted).toBeGreaterThan(tally.cases / 4);
    if (process.env.WIRE_CHECK_TALLY) console.log(seed, tally, [...reasons].sort().join(' '));
    expect(reasons.size).toBeGreaterThanOrEqual(limits.maxStringBytes === 20 ? 5 : 8);
  });

  it('accepts the bench-shaped stats message and forwards the same bytes as the decoding path', () => {
    const { run } = harness({ maxStringBytes: 1024, maxListItems: 1000 });
    const bytes = encodeStatsMessage(KEY, 'bench-host-1', 1, String(NOW - 5));
    const { actual, expected, fastAccepted, inPlace } = run(bytes);
    expect(fastAccepted).toBe(true);
    expect(inPlace).toBe(true); // the payload was not copied
    expect(actual).toEqual(expected);
  });
});

describe('AgentMessageReader: splicing', () => {
  const reader = new AgentMessageReader({ maxStringBytes: 64, maxListItems: 8, maxFutureSkewMs: 86_400_000 });
  const secret = 'ak_secretsecretsecret';
  const message = agentpb.AgentMessage.fromPartial({
    agentKey: secret,
    type: DataType.CONTAINER_STATS,
    host: 'h1',
    timestamp: '1700000000',
    statsData: { stats: [{ id: 'c1', name: 'n', cpuPercent: 1.5, memoryUsage: '18446744073709551615' }] },
  });
  const bytes = encode(message);

  it.each([
    ['the fast path', (b: Buffer) => reader.read(b, secret, NOW)],
    ['the decoding path', (b: Buffer) => reader.readByDecoding(b, secret, NOW)],
    [
      'the fast path, payload not last',
      (b: Buffer) => reader.read(Buffer.concat([b, Buffer.from([0xc8, 0x05, 0x01])]), secret, NOW),
    ],
    ['the fast path, key after the timestamp', (b: Buffer) => reader.read(keyLast(b), secret, NOW)],
  ])('%s drops the key and writes the timestamp in ms, the payload untouched', (path, read) => {
    const result = read(Buffer.from(bytes));
    expect(result.decoded).toBe(!path.startsWith('the fast path'));
    expect(result.rejection).toBeUndefined();
    expect(agentpb.AgentMessage.decode(result.value)).toEqual({
      ...message,
      agentKey: '',
      timestamp: '1700000000000',
    });
    expect(result.value.includes(Buffer.from('ak_secret'))).toBe(false);
  });

  /** The same message with its key field moved to the end of the fields before the payload. */
  function keyLast(b: Buffer): Buffer {
    const keyField = b.subarray(0, 2 + secret.length);
    const payloadAt = b.indexOf(0x62, keyField.length); // field 12, wire type 2
    return Buffer.concat([b.subarray(keyField.length, payloadAt), keyField, b.subarray(payloadAt)]);
  }

  it('re-encodes events with both timestamps in ms', () => {
    const event = agentpb.AgentMessage.fromPartial({
      agentKey: secret,
      type: DataType.CONTAINER_EVENT,
      host: 'h1',
      timestamp: '0',
      eventData: { type: 'container', action: 'die', timestamp: String(BigInt(NOW - 7) * 1_000_000n) },
    });
    const result = reader.read(encode(event), secret, NOW);
    expect(result.decoded).toBe(true);
    const forwarded = agentpb.AgentMessage.decode(result.value);
    expect([forwarded.agentKey, forwarded.timestamp, forwarded.eventData?.timestamp]).toEqual([
      '',
      String(NOW),
      String(NOW - 7),
    ]);
  });

  it.each([
    ['truncated varint', [0x10, 0xff]],
    ['length past the end', [0x1a, 0x05, 0x61]],
    ['field number zero', [0x00, 0x01]],
    ['group wire type', [0x0b]],
    ['overlong varint', [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ])('dead-letters %s as undecodable, the secret scrubbed', (_label, damage) => {
    const input = Buffer.concat([bytes, Buffer.from(damage)]);
    const result = reader.read(input, secret, NOW);
    expect(result.rejection?.reason).toBe('undecodable');
    expect(result.value.length).toBe(input.length);
    expect(result.value.includes(Buffer.from(secret))).toBe(false);
  });

  it('writes large timestamps as varints the decoder reads back', () => {
    const ms = NOW - 1;
    const micro = agentpb.AgentMessage.fromPartial({
      ...message,
      timestamp: String(BigInt(ms) * 1000n + 999n),
    });
    for (const read of [
      reader.read(encode(micro), secret, NOW),
      reader.readByDecoding(encode(micro), secret, NOW),
    ]) {
      expect(agentpb.AgentMessage.decode(read.value).timestamp).toBe(String(ms));
    }
  });
});
