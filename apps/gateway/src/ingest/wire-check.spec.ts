import { agentpb, topicsFor } from '@app/contracts';
import type { BatchingProducer, OutboundRecord } from '@app/kafka';
import { Metrics } from '@app/observability';
import { encodeStatsMessage } from '@app/testing';
import { AgentMessageIngest, IngestInput, IngestOutcome, IngestSettings } from './agent-message.ingest';
import { checkAgentMessageWire, newWireVerdict } from './wire-check';

/**
 * Differential test: the wire-level fast path against the reference path (ts-proto decode and the
 * object validators), on seeded random messages of every type and on mutations of them.
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

interface Run {
  outcome: IngestOutcome;
  records: OutboundRecord[];
}

/** A comparable text of an outcome and its records (Buffers as hex: Jest's deep equality is slow). */
function describeRun(run: Run): string {
  return JSON.stringify({
    outcome: run.outcome,
    records: run.records.map((r) => ({ ...r, value: r.value.toString('hex') })),
  });
}

function harness(limits: { maxStringBytes: number; maxListItems: number }) {
  const records: OutboundRecord[] = [];
  const producer = {
    publish: (record: OutboundRecord) => {
      records.push(record);
      return Promise.resolve();
    },
    send: (record: OutboundRecord, done: () => void) => {
      records.push(record);
      setImmediate(done);
    },
  } as unknown as BatchingProducer;
  const settings: IngestSettings = { ...limits, maxFutureSkewMs: 86_400_000, topics: topicsFor('t.') };
  const ingest = new AgentMessageIngest(producer, settings, new Metrics('test', false));
  const input = (bytes: Buffer): IngestInput => ({
    bytes,
    agentKey: KEY,
    principal: { tenantId: 'tenant', agentId: 'agent' } as IngestInput['principal'],
    gatewayId: 'gw',
    messageId: 's:1',
    receivedAtMs: NOW,
  });
  const run = async (bytes: Buffer, reference: boolean): Promise<Run> => {
    records.length = 0;
    const target = ingest as unknown as { ingestByDecoding(i: IngestInput): Promise<IngestOutcome> };
    const outcome = reference
      ? await target.ingestByDecoding(input(bytes))
      : await new Promise<IngestOutcome>((resolve, reject) =>
          ingest.ingest(input(bytes), (error, outcome) => (error ? reject(error) : resolve(outcome!))),
        );
    return { outcome, records: [...records] };
  };
  const fast = (bytes: Buffer) => checkAgentMessageWire(bytes, KEY, NOW, settings, newWireVerdict());
  return { run, fast };
}

describe('wire-level fast path (differential against the decoding reference)', () => {
  it.each([
    [1, { maxStringBytes: 64, maxListItems: 4 }],
    [2, { maxStringBytes: 1024, maxListItems: 5 }],
    [3, { maxStringBytes: 20, maxListItems: 2 }],
  ])('seed %i: same outcome and same record for every message', async (seed, limits) => {
    const g = new Gen(prng(seed), limits);
    const { run, fast } = harness(limits);
    const tally = { cases: 0, fastAccepted: 0, published: 0, cleanMissed: 0, mutatedAccepted: 0 };
    const reasons = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const kind = i % 3; // clean, random, mutated clean
      const clean = kind === 0;
      let bytes: Buffer = encode(g.message(kind !== 1));
      if (kind === 2) bytes = mutate(g, bytes);
      const expected = await run(bytes, true);
      const actual = await run(bytes, false);
      tally.cases++;
      const accepted = fast(bytes);
      if (accepted) tally.fastAccepted++;
      if (accepted && kind === 2) tally.mutatedAccepted++;
      if (expected.outcome.kind === 'published') tally.published++;
      else reasons.add(expected.outcome.rejection.reason);
      if (accepted) expect(expected.outcome.kind).toBe('published');
      if (clean && expected.outcome.kind === 'published' && !accepted) tally.cleanMissed++;
      const [a, e] = [describeRun(actual), describeRun(expected)];
      if (a !== e) throw new Error(`case ${i} (${bytes.toString('hex')}):\n fast: ${a}\n reference: ${e}`);
    }
    // The fast path must carry the common case: every clean message the reference publishes.
    expect(tally.cleanMissed).toBe(0);
    expect(tally.fastAccepted).toBeGreaterThan(tally.cases / 4);
    if (process.env.WIRE_CHECK_TALLY) console.log(seed, tally, [...reasons].sort().join(' '));
    expect(reasons.size).toBeGreaterThanOrEqual(limits.maxStringBytes === 20 ? 5 : 8);
  });

  it('accepts the bench-shaped stats message and forwards the same bytes as the reference', async () => {
    const limits = { maxStringBytes: 1024, maxListItems: 1000 };
    const { run, fast } = harness(limits);
    const bytes = encodeStatsMessage(KEY, 'bench-host-1', 1, String(NOW - 5));
    expect(fast(bytes)).toBe(true);
    expect(await run(bytes, false)).toEqual(await run(bytes, true));
  });
});
