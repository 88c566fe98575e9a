/**
 * Gateway ingest benchmark: transport and Kafka ceilings, the gateway's ACKed throughput and accept
 * latency, and resident memory per idle stream. Run with `npm run bench:gateway`.
 */
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { localGatewayEnv } from '@app/testing';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway.app';
import { CountingServer, startPassThroughServer, startProtoLoaderServer } from './baseline-servers';
import { agentKey, BENCH_HASH_SECRET, CONTAINERS_PER_MESSAGE } from './bench-common';
import { ClientProcess, metricSum } from './client-process';
import { ensureOpenFileLimit } from './fd-limit';
import { BenchKafka, provideKafka, runBareProducerProcess } from './kafka-baseline';
import {
  cpuPerMessage,
  fmt,
  exitCodeAfter,
  heading,
  latencyText,
  memoryPerStreamKiB,
  printIdle,
  printLoad,
  printSummary,
  rate,
  Row,
  runBenchmark,
} from './report';
import { LoadFigures, runIdleStreams, runLoad } from './scenarios';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_MS = 2000;
const AGENTS = 200;
const CLIENT_PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
/** Idle scenario: BENCH_IDLE_STREAMS quiet DataStreams, ~5,000 per load-client process. */
const IDLE_STREAMS = envInt('BENCH_IDLE_STREAMS', 2000);
const IDLE_PROCESSES = envInt('BENCH_IDLE_PROCESSES', Math.max(4, Math.ceil(IDLE_STREAMS / 5000)));
/**
 * Each agent heartbeats every 5 s while the fleet stays under 500 heartbeats/s (each is a gRPC call
 * and a Kafka record on CPUs the gateway shares with its load clients); beyond 2,500 agents the
 * interval grows: 50,000 agents heartbeat every 100 s. Streams are held for at least one interval.
 */
const IDLE_HEARTBEATS_PER_S = 500;
const IDLE_HEARTBEAT_MS = envInt(
  'BENCH_IDLE_HEARTBEAT_MS',
  Math.max(5000, Math.ceil((IDLE_STREAMS / IDLE_HEARTBEATS_PER_S) * 1000)),
);
const IDLE_HOLD_MS = Math.max(15_000, IDLE_HEARTBEAT_MS + 5000);
/**
 * Connections from one loopback address to one address:port are limited by the ephemeral port range
 * (32768-60999 by default, ~28,000): above this many streams the gateway listens on 0.0.0.0 and
 * the clients spread over 127.0.0.1, 127.0.0.2, … (each address pair has its own port range).
 */
const IDLE_STREAMS_PER_ADDRESS = envInt('BENCH_IDLE_STREAMS_PER_ADDRESS', 20_000);
const IDLE_HOSTS = Array.from(
  { length: Math.ceil(IDLE_STREAMS / IDLE_STREAMS_PER_ADDRESS) },
  (_, i) => `127.0.0.${i + 1}`,
);
/** The gateway's descriptors besides its streams: Kafka, HTTP, stdio, libuv, spare. */
const GATEWAY_SPARE_FDS = 1024;
/** The gateway's default (200 ms) unless BENCH_ACK_INTERVAL_MS says otherwise. */
const ACK_INTERVAL_MS = Number(process.env.BENCH_ACK_INTERVAL_MS ?? 200);
/** Targets the summary checks (issue 12): share of the transport limit, main-thread cost, saturated p99. */
const TARGET_SHARE_OF_TRANSPORT = 0.5;
const TARGET_MAIN_THREAD_US = 20;
const TARGET_SATURATED_P99_MS = 1000;
const BROKER_PORT = 49092;
/** BENCH_ONLY=idle,a,b,c,d runs just those scenarios (d includes d'); all by default. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'idle,a,b,c,d').split(',').map((s) => s.trim()));
const wanted = (scenario: string) => ONLY.has(scenario);

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${text}: must be a positive integer`);
  return value;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Run {
  failures: string[];
  rows: Row[];
  clients: ClientProcess[];
  load: Omit<Parameters<typeof runLoad>[0], 'port' | 'label' | 'expectAcks'>;
  kafka: BenchKafka;
  gateway: RunningGateway;
  metrics: () => Promise<string>;
}

async function main(): Promise<number> {
  const began = Date.now();
  const failures: string[] = [];
  const rows: Row[] = [];
  const prefix = `bench${Date.now()}.`;
  const clients: ClientProcess[] = [];
  let kafka: BenchKafka | undefined;
  let gateway: RunningGateway | undefined;

  console.log(
    `machine: ${cpus().length} CPUs, load average ${fmt(loadavg()[0], 2)} at start (load clients, Kafka and the ` +
      'server under test share these CPUs; other work on the machine skews the figures)',
  );
  console.log(
    `workload: ${AGENTS} agents on ${CLIENT_PROCESSES} load-client processes, one channel and one DataStream each, ` +
      `CONTAINER_STATS of ${CONTAINERS_PER_MESSAGE} containers; ${WARMUP_MS / 1000} s warm-up + ${SECONDS} s measured`,
  );
  try {
    kafka = await provideKafka(BROKER_PORT);
    const ownedKafka = kafka;
    // Interrupted runs must not leave a broker behind: the next run wipes its data directory.
    process.once('SIGINT', () => {
      clients.forEach((c) => c.kill());
      void ownedKafka.release(prefix).finally(() => process.exit(130));
    });
    console.log(
      `\nKafka: ${kafka.started ? 'started a local broker on ' : 'using KAFKA_BROKERS='}${kafka.brokers}`,
    );
    gateway = await startGateway({
      // GATEWAY_* tuning variables of the caller apply (GATEWAY_PUBLISH_LANES=8 npm run bench:gateway).
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('GATEWAY_'))),
      ...localGatewayEnv({
        brokers: kafka.brokers,
        agentKeys: Array.from({ length: IDLE_STREAMS }, (_, i) => agentKey(i)).join(','),
        hashSecret: BENCH_HASH_SECRET,
        logLevel: 'warn',
      }),
      ...(IDLE_HOSTS.length > 1 && wanted('idle') ? { GATEWAY_GRPC_HOST: '0.0.0.0' } : {}),
      KAFKA_TOPIC_PREFIX: prefix,
      GATEWAY_ACK_INTERVAL_MS: String(ACK_INTERVAL_MS),
    });
    const metricsUrl = `http://127.0.0.1:${gateway.httpPort}/metrics`;
    const run: Run = {
      failures,
      rows,
      clients,
      load: {
        seconds: SECONDS,
        warmupMs: WARMUP_MS,
        agents: AGENTS,
        processes: CLIENT_PROCESSES,
        clients,
        failures,
      },
      kafka,
      gateway,
      metrics: async () => (await fetch(metricsUrl)).text(),
    };

    // Idle streams first, while the gateway process has not yet grown its heap under load.
    if (wanted('idle')) await idleScenario(run);
    const transport = wanted('a') ? await transportScenario(run) : undefined;
    if (wanted('b')) await protoLoaderScenario(run);
    const producer = wanted('c') ? await producerScenario(run, prefix) : undefined;
    const gatewayRate = wanted('d') ? await gatewayScenarios(run) : undefined;

    const footer = [`load average at the end: ${fmt(loadavg()[0], 2)}`];
    if (gatewayRate !== undefined) footer.unshift(...targetLines(gatewayRate, transport, producer));
    printSummary(rows, (Date.now() - began) / 1000, footer);
  } catch (error) {
    failures.push((error as Error).stack ?? String(error));
  } finally {
    clients.forEach((c) => c.kill());
    await gateway?.close().catch((e: Error) => failures.push(`gateway close: ${e.message}`));
    await kafka?.release(prefix).catch((e: Error) => failures.push(`Kafka release: ${e.message}`));
  }
  return exitCodeAfter(failures);
}

async function idleScenario(run: Run): Promise<void> {
  heading(
    `Idle streams: ${IDLE_STREAMS} DataStreams from ${IDLE_PROCESSES} processes, each stream on its own channel ` +
      `(to ${IDLE_HOSTS.join(', ')}), Heartbeat every ${fmt(IDLE_HEARTBEAT_MS / 1000, 1)} s, ` +
      `held ${fmt(IDLE_HOLD_MS / 1000)} s`,
  );
  const fds = ensureOpenFileLimit(IDLE_STREAMS + GATEWAY_SPARE_FDS);
  if (!fds.ok) {
    console.log(`   not run: ${fds.reason}`);
    run.failures.push(`idle: not run: ${fds.reason}`);
    return;
  }
  console.log(`   ${fds.note}${IDLE_HOSTS.length > 1 ? '; gateway listening on 0.0.0.0 for this run' : ''}`);
  const idle = await runIdleStreams({
    port: run.gateway.grpcPort,
    hosts: IDLE_HOSTS,
    streams: IDLE_STREAMS,
    processes: IDLE_PROCESSES,
    holdMs: IDLE_HOLD_MS,
    heartbeatEveryMs: IDLE_HEARTBEAT_MS,
    // Opening runs at a few hundred streams/s on 2 shared CPUs.
    openTimeoutMs: 90_000 + 60 * Math.ceil(IDLE_STREAMS / IDLE_PROCESSES),
    openStreams: async () => metricSum(await run.metrics(), 'gateway_open_streams'),
    gc,
    clients: run.clients,
  });
  printIdle(idle, IDLE_STREAMS);
  if (idle.openStreams !== IDLE_STREAMS) run.failures.push(`idle: gateway_open_streams=${idle.openStreams}`);
  if (idle.heartbeatsFailed > 0 || idle.heartbeatsOk === 0)
    run.failures.push(`idle: heartbeats failed: ${idle.failures.join('; ')}`);
  if (idle.streamErrors.length > 0) run.failures.push(`idle: stream errors: ${idle.streamErrors.join('; ')}`);
  run.rows.push({
    scenario: `idle: ${IDLE_STREAMS} streams`,
    messages: NaN,
    note: `${fmt(memoryPerStreamKiB(idle, IDLE_STREAMS), 1)} KiB resident per stream, ${idle.openStreams} open, ${idle.heartbeatsFailed} failed heartbeats`,
  });
}

async function countingServerScenario(run: Run, label: string, server: CountingServer): Promise<number> {
  const figures = await runLoad({
    ...run.load,
    port: server.port,
    label,
    expectAcks: false,
    received: server.received,
  });
  await server.close();
  printLoad(figures, false);
  return figures.messagesPerSecond;
}

async function transportScenario(run: Run): Promise<number> {
  heading('a. Transport limit: bare grpc-js server, pass-through deserializer, messages counted and dropped');
  const messages = await countingServerScenario(run, 'a', await startPassThroughServer());
  run.rows.push({ scenario: 'a. transport limit (pass-through)', messages, note: '' });
  return messages;
}

async function protoLoaderScenario(run: Run): Promise<void> {
  heading('b. Bare grpc-js server with @grpc/proto-loader objects (as NestJS transport decodes)');
  const messages = await countingServerScenario(run, 'b', await startProtoLoaderServer());
  run.rows.push({ scenario: 'b. proto-loader server', messages, note: '' });
}

/** c: stock kafkajs, the baseline of the target; c': with the gateway's record encoders, for comparison. */
async function producerScenario(run: Run, prefix: string): Promise<number> {
  // A broker JVM started moments ago needs longer than the gRPC servers to warm up.
  const warmupMs = run.kafka.started ? 5000 : WARMUP_MS;
  const measure = async (label: string, title: string, fastEncoding: boolean) => {
    heading(
      `${label}. Bare kafkajs producer (${title}) in its own process: same payloads, 3 partitions, acks=-1, ` +
        `4 × sendBatch(500) in flight, ${warmupMs / 1000} s warm-up`,
    );
    const producer = await runBareProducerProcess({
      brokers: run.kafka.brokers.split(','),
      topic: `${prefix}bare-stats-${fastEncoding ? 'fast' : 'stock'}`,
      agents: AGENTS,
      batchSize: 500,
      concurrency: 4,
      warmupMs,
      durationMs: SECONDS * 1000,
      fastEncoding,
      keyPartitioner: fastEncoding,
    });
    const batchNote = `batch of 500 acked in p50 ${fmt(producer.batchMs.p50, 1)} ms, p99 ${fmt(producer.batchMs.p99, 1)} ms`;
    console.log(
      `   ${rate(producer.messagesPerSecond)}\n   ${producer.payloadBytes}-byte values; ${batchNote}`,
    );
    console.log(
      `   CPU (% of one core): producer process ${cpuPerMessage(producer.cpuPercent, producer.messagesPerSecond)}`,
    );
    run.rows.push({
      scenario: `${label}. bare kafkajs producer, ${title}`,
      messages: producer.messagesPerSecond,
      note: batchNote,
    });
    return producer.messagesPerSecond;
  };
  const stock = await measure('c', 'stock kafkajs 2.2.4', false);
  await measure("c'", "with the gateway's record encoders and partitioner", true);
  return stock;
}

/** d: saturated; d': at half the saturated rate, for the accept latency below saturation. */
async function gatewayScenarios(run: Run): Promise<LoadFigures> {
  heading(
    `d. Gateway (in this process), GATEWAY_ACK_INTERVAL_MS=${ACK_INTERVAL_MS}, agents write as fast as it reads`,
  );
  const before = await run.metrics();
  const full = await runLoad({ ...run.load, port: run.gateway.grpcPort, label: 'd', expectAcks: true });
  const after = await run.metrics();
  const delta = (name: string) => metricSum(after, name) - metricSum(before, name);
  const batches = delta('kafka_batch_send_seconds_count');
  printLoad(full, true);
  console.log(
    `   gateway's Kafka batches during the run: ${fmt(batches)}, ${fmt((delta('kafka_batch_send_seconds_sum') / batches) * 1000, 1)} ms ` +
      `each on average, ${fmt(delta('kafka_records_published_total') / batches)} records per batch`,
  );
  console.log(
    '   (saturated, the accept latency is queueing: the gateway reads until what waits for Kafka is what Kafka ' +
      'drains in GATEWAY_TARGET_QUEUE_MS (500 ms), and each paused stream holds its 64 KiB HTTP/2 window more; ' +
      "see d' for latency below saturation)",
  );
  const dlq = metricSum(after, 'gateway_messages_total', 'outcome="dlq');
  if (dlq > 0) run.failures.push(`the gateway sent ${dlq} benchmark messages to the DLQ`);

  const perAgent = Math.max(1, Math.floor((full.messagesPerSecond * 0.5) / AGENTS));
  heading(
    `d'. Gateway at about half that rate: ${perAgent} msg/s per agent, ${fmt(perAgent * AGENTS)} msg/s offered`,
  );
  const half = await runLoad({
    ...run.load,
    seconds: Math.max(3, SECONDS / 2),
    port: run.gateway.grpcPort,
    label: "d'",
    expectAcks: true,
    ratePerAgent: perAgent,
  });
  printLoad(half, true);
  console.log(
    `   ACKs leave at most every ${ACK_INTERVAL_MS} ms per stream: that adds 0-${ACK_INTERVAL_MS} ms ` +
      `(~${ACK_INTERVAL_MS / 2} ms on average) to these latencies (BENCH_ACK_INTERVAL_MS=20 shows them with less of it)`,
  );
  run.rows.push({
    scenario: 'd. gateway, saturated (ACKed)',
    messages: full.messagesPerSecond,
    note: `accept ${latencyText(full)}`,
  });
  run.rows.push({
    scenario: "d'. gateway, half rate (ACKed)",
    messages: half.messagesPerSecond,
    note: `accept ${latencyText(half)}`,
  });
  return full;
}

runBenchmark(main);

/** The summary's verdicts: each target with its figure, MEETS or MISSES. */
function targetLines(gateway: LoadFigures, transport?: number, producer?: number): string[] {
  const verdict = (ok: boolean) => (ok ? 'MEETS' : 'MISSES');
  const lines: string[] = [];
  if (transport !== undefined) {
    const share = gateway.messagesPerSecond / transport;
    lines.push(
      `gateway / transport limit = ${fmt(gateway.messagesPerSecond)} / ${fmt(transport)} = ${fmt(share * 100, 1)} %: ` +
        `${verdict(share >= TARGET_SHARE_OF_TRANSPORT)} the ${TARGET_SHARE_OF_TRANSPORT * 100} % target`,
    );
  }
  if (producer !== undefined) {
    lines.push(
      `gateway / bare stock kafkajs producer = ${fmt((gateway.messagesPerSecond / producer) * 100, 1)} %`,
    );
  }
  const mainThreadUs = (gateway.serverMainThreadCpu * 10_000) / gateway.messagesPerSecond;
  lines.push(
    `gateway main thread: ${fmt(mainThreadUs, 1)} µs per message saturated: ` +
      `${verdict(mainThreadUs <= TARGET_MAIN_THREAD_US)} the ${TARGET_MAIN_THREAD_US} µs target`,
    `saturated accept p99 ${fmt(gateway.latency.p99, 1)} ms: ` +
      `${verdict(gateway.latency.p99 <= TARGET_SATURATED_P99_MS)} the ${fmt(TARGET_SATURATED_P99_MS)} ms target`,
  );
  return lines;
}
