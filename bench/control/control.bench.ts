import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ClientDuplexStream, credentials, Metadata, status } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import {
  BenchApp,
  freePort,
  metric,
  percentile,
  provideKafka,
  startBuiltApp,
  waitReady,
} from './control-apps';

/**
 * `npm run bench:control`: two deployments (topic prefixes), each a control API and a gateway
 * without AGENT_KEYS in processes of their own from the built output, on one broker of their own
 * (or KAFKA_BROKERS). One registry gets 10 keys, the other 10,000, all issued over HTTP.
 *   (b) Register calls/s against each registry, in rounds ordered small, large, large, small (after
 *       a warm-up of each), so that both see the same machine and broker; the calls go round-robin
 *       over the registry's keys.
 *   (a) revoke → stream ended: 1,000 DataStreams open on the large registry's gateway, one per
 *       key; 100 keys revoked one at a time over HTTP, each timed from the DELETE until its
 *       stream's UNAUTHENTICATED status reaches the client.
 * Bounded: BENCH_REGISTER_SECONDS (default 5) per round, the rest is a fixed amount of work.
 */
const SECRET = 'bench-only-hash-secret-0123456789abcdef';
const TOKEN = 'benchOperatorToken0123456789';
const SMALL_REGISTRY = 10;
const LARGE_REGISTRY = Number(process.env.BENCH_KEYS ?? 10_000);
const OPEN_STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 100);
const REGISTER_SECONDS = Number(process.env.BENCH_REGISTER_SECONDS ?? 5);
const REGISTER_ROUNDS = 2;
const REGISTER_CONCURRENCY = 32;
const CHANNELS = 8;

interface IssuedKey {
  key_id: string;
  key: string;
}

class ControlClient {
  constructor(private readonly port: number) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** Issues `count` keys, `concurrency` requests at a time; returns them in order and the rate. */
  async issue(count: number, concurrency = 32): Promise<{ keys: IssuedKey[]; perSecond: number }> {
    const keys: IssuedKey[] = new Array<IssuedKey>(count);
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const answer = await this.call('POST', '/v1/agent-keys', { name: `bench-${i}`, tenant: 'bench' });
        if (answer.status !== 201) throw new Error(`issue: ${answer.status} ${JSON.stringify(answer.body)}`);
        keys[i] = answer.body as IssuedKey;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { keys, perSecond: count / ((performance.now() - started) / 1000) };
  }
}

function bearer(key: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return metadata;
}

function clients(port: number): agentpb.AgentServiceClient[] {
  // A distinct option per channel keeps grpc-js from sharing one connection.
  return Array.from(
    { length: CHANNELS },
    (_, i) =>
      new agentpb.AgentServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
        'bench.channel': i,
        'grpc.enable_retries': 0,
      }),
  );
}

function register(client: agentpb.AgentServiceClient, key: string, i: number): Promise<void> {
  const request = agentpb.RegisterRequest.fromPartial({
    agentKey: key,
    agentName: `bench-${i}`,
    hosts: [{ name: `bench-host-${i}`, addr: '10.0.0.1' }],
  });
  return new Promise((done, fail) => client.register(request, bearer(key), (e) => (e ? fail(e) : done())));
}

/** Register calls/s over `seconds`, keys picked round-robin, REGISTER_CONCURRENCY in flight. */
async function registerRate(
  grpc: agentpb.AgentServiceClient[],
  keys: IssuedKey[],
  seconds = REGISTER_SECONDS,
): Promise<number> {
  let calls = 0;
  let failures = 0;
  const warmupEnd = performance.now() + 500;
  const end = warmupEnd + seconds * 1000;
  let counted = 0;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < end; i += REGISTER_CONCURRENCY) {
      try {
        await register(grpc[i % grpc.length], keys[i % keys.length].key, i);
        calls++;
        if (performance.now() >= warmupEnd) counted++;
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, (_, w) => worker(w)));
  if (failures > 0) throw new Error(`${failures} of ${calls + failures} Register calls failed`);
  return counted / seconds;
}

/** Waits until the gateway accepts the newest key: the keys topic was read that far. */
async function untilKnown(grpc: agentpb.AgentServiceClient, key: IssuedKey): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await register(grpc, key.key, 0);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

interface OpenStream {
  call: ClientDuplexStream<agentpb.AgentMessage, agentpb.ServerMessage>;
  ended?: { code: number; at: number };
  onEnd?: () => void;
}

function openStream(grpc: agentpb.AgentServiceClient, key: string): OpenStream {
  const call = grpc.dataStream(bearer(key));
  const stream: OpenStream = { call };
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  call.on('status', (s) => {
    stream.ended = { code: s.code, at: performance.now() };
    stream.onEnd?.();
  });
  return stream;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Revokes keys one at a time; ms from the DELETE until the stream's status reached the client. */
async function revocations(
  api: ControlClient,
  keys: IssuedKey[],
  streams: OpenStream[],
): Promise<{ latencies: number[]; deleteMs: number[] }> {
  const latencies: number[] = [];
  const deleteMs: number[] = [];
  for (let i = 0; i < REVOCATIONS; i++) {
    const stream = streams[i];
    const ended = new Promise<void>((done) => (stream.onEnd = done));
    const started = performance.now();
    const answer = await api.call('DELETE', `/v1/agent-keys/${keys[i].key_id}`);
    deleteMs.push(performance.now() - started);
    if (answer.status !== 204) throw new Error(`revoke: ${answer.status}`);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 10_000))]);
    if (stream.ended?.code !== status.UNAUTHENTICATED) {
      throw new Error(
        `stream ${i}: ${stream.ended ? `status ${stream.ended.code}` : 'still open after 10 s'}`,
      );
    }
    latencies.push(stream.ended.at - started);
  }
  return { latencies, deleteMs };
}

interface Deployment {
  api: ControlClient;
  grpc: agentpb.AgentServiceClient[];
  gatewayHttp: number;
}

/** A control API and a gateway (no AGENT_KEYS: only issued keys) on topics of their own. */
async function deploy(name: string, brokers: string, apps: BenchApp[]): Promise<Deployment> {
  const [apiPort, grpcPort, gatewayHttp] = await Promise.all([freePort(), freePort(), freePort()]);
  const shared = {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: `bench${randomBytes(3).toString('hex')}.`,
    AUTH_HASH_SECRET: SECRET,
  };
  const control = startBuiltApp(`${name}-control-api`, 'apps/control-api/src/main.js', {
    ...shared,
    CONTROL_API_PORT: String(apiPort),
    CONTROL_API_TOKENS: `*:${TOKEN}`,
  });
  apps.push(control);
  await waitReady(control, `http://127.0.0.1:${apiPort}/readyz`, 60_000);
  const gateway = startBuiltApp(`${name}-gateway`, 'apps/gateway/src/main.js', {
    ...shared,
    GATEWAY_GRPC_HOST: '127.0.0.1',
    GATEWAY_GRPC_PORT: String(grpcPort),
    GATEWAY_HTTP_PORT: String(gatewayHttp),
  });
  apps.push(gateway);
  await waitReady(gateway, `http://127.0.0.1:${gatewayHttp}/readyz`, 60_000);
  return { api: new ControlClient(apiPort), grpc: clients(grpcPort), gatewayHttp };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function main(): Promise<void> {
  const kafka = await provideKafka(Number(process.env.BENCH_KAFKA_PORT ?? 49192));
  const apps: BenchApp[] = [];
  try {
    const small = await deploy('small', kafka.brokers, apps);
    const large = await deploy('large', kafka.brokers, apps);
    const print = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
    const smallKeys = (await small.api.issue(SMALL_REGISTRY)).keys;
    const issued = await large.api.issue(LARGE_REGISTRY);
    const keys = issued.keys;
    print(
      `issued ${keys.length} keys over HTTP at ${issued.perSecond.toFixed(0)} keys/s (32 requests in flight)`,
    );
    await untilKnown(small.grpc[0], smallKeys[smallKeys.length - 1]);
    await untilKnown(large.grpc[0], keys[keys.length - 1]);

    await registerRate(small.grpc, smallKeys, 2);
    await registerRate(large.grpc, keys, 2);
    const rates = { small: [] as number[], large: [] as number[] };
    // small, large, large, small…: a machine that speeds up or slows down during the run favours neither.
    for (let round = 0; round < REGISTER_ROUNDS; round++) {
      const order = round % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
      for (const which of order) {
        rates[which].push(
          await (which === 'small' ? registerRate(small.grpc, smallKeys) : registerRate(large.grpc, keys)),
        );
      }
    }
    const rounds = (r: number[]) => r.map((v) => v.toFixed(0)).join(', ');
    print(
      `Register (${REGISTER_CONCURRENCY} calls in flight, ${REGISTER_ROUNDS} rounds of ${REGISTER_SECONDS} s each):`,
      `  ${SMALL_REGISTRY} keys in the registry:     ${mean(rates.small).toFixed(0)} calls/s (rounds: ${rounds(rates.small)})`,
      `  ${keys.length} keys in the registry: ${mean(rates.large).toFixed(0)} calls/s (rounds: ${rounds(rates.large)})`,
    );

    const streamKeys = keys.slice(keys.length - OPEN_STREAMS);
    const streams = streamKeys.map((k, i) => openStream(large.grpc[i % large.grpc.length], k.key));
    await until(
      `${OPEN_STREAMS} open streams`,
      async () => (await metric(large.gatewayHttp, 'gateway_open_streams')) === OPEN_STREAMS,
      60_000,
    );
    const { latencies, deleteMs } = await revocations(large.api, streamKeys, streams);
    const stillOpen = await metric(large.gatewayHttp, 'gateway_open_streams');
    const endedOthers = streams.slice(REVOCATIONS).filter((s) => s.ended).length;
    print(
      `revoke → stream ended (UNAUTHENTICATED at the client), ${REVOCATIONS} revocations, ${OPEN_STREAMS} streams open:`,
      `  p50 ${ms(percentile(latencies, 50))}  p99 ${ms(percentile(latencies, 99))}  max ${ms(Math.max(...latencies))}  (target p99 ≤ 1000 ms)`,
      `  of which the DELETE answer: p50 ${ms(percentile(deleteMs, 50))}  p99 ${ms(percentile(deleteMs, 99))}`,
      `  streams still open afterwards: ${stillOpen} (expected ${OPEN_STREAMS - REVOCATIONS}); others ended: ${endedOthers}`,
      '',
      `Kafka: ${kafka.started ? 'started a local broker on ' : 'using KAFKA_BROKERS='}${kafka.brokers}; app logs in .cache/bench-control/`,
    );
    streams.forEach((s) => s.call.cancel());
    [small, large].forEach((d) => d.grpc.forEach((c) => c.close()));
    if (endedOthers > 0 || stillOpen !== OPEN_STREAMS - REVOCATIONS) process.exitCode = 1;
  } finally {
    await Promise.all(apps.reverse().map((a) => a.stop()));
    await kafka.release();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:control failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
