/**
 * Gateway ingest benchmark: transport and Kafka ceilings, the gateway's ACKed throughput and accept
 * latency, and resident memory per idle stream. Run with `npm run bench:gateway`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Kafka, logLevel } from 'kafkajs';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway.app';
import { startPassThroughServer, startProtoLoaderServer } from './baseline-servers';
import { agentKey, CONTAINERS_PER_MESSAGE, REPO_ROOT } from './bench-common';
import { ClientProcess, metricSum, spread } from './client-process';
import { BrokerModule, runBareProducer } from './kafka-baseline';
import { runIdleStreams, runLoad, LoadFigures } from './scenarios';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_MS = 2000;
const AGENTS = 200;
const CLIENT_PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
const IDLE_STREAMS = 2000;
const IDLE_PROCESSES = 4;
const ACK_INTERVAL_MS = 20;
const TARGET = 0.6;
const BROKER_PORT = 49092;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
const rate = (msgs: number) => `${fmt(msgs)} msg/s = ${fmt(msgs * CONTAINERS_PER_MESSAGE)} container rows/s`;
const cpuText = (f: LoadFigures) =>
  `CPU (% of one core): server ${fmt(f.serverCpu)}, load clients ${f.clientCpu.map((c) => fmt(c)).join(' + ')}`;

interface Row {
  scenario: string;
  messages: number;
  note: string;
}

async function main(): Promise<number> {
  const began = Date.now();
  const failures: string[] = [];
  const rows: Row[] = [];
  const prefix = `bench${Date.now()}.`;
  const clients: ClientProcess[] = [];
  const load = { seconds: SECONDS, warmupMs: WARMUP_MS, agents: AGENTS, processes: CLIENT_PROCESSES, clients, failures };
  let broker: { stop(): Promise<unknown> } | undefined;
  let gateway: RunningGateway | undefined;

  console.log(
    `gateway ingest benchmark: ${AGENTS} agents on ${CLIENT_PROCESSES} load-client processes, one channel and one ` +
      `DataStream each, CONTAINER_STATS of ${CONTAINERS_PER_MESSAGE} containers; ${WARMUP_MS / 1000} s warm-up + ` +
      `${SECONDS} s measured per scenario`,
  );
  try {
    let brokers = process.env.KAFKA_BROKERS;
    if (!brokers) {
      const dataDir = join(REPO_ROOT, '.cache/kafka/bench-data');
      rmSync(dataDir, { recursive: true, force: true });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const module = require(join(REPO_ROOT, 'deploy/kafka/kafka-broker.js')) as BrokerModule;
      const started = await module.startBroker({ port: BROKER_PORT, dataDir });
      broker = started;
      brokers = started.brokers;
      console.log(`\nKafka: started a local broker on ${brokers} (data in ${dataDir})`);
    } else {
      console.log(`\nKafka: using KAFKA_BROKERS=${brokers}`);
    }

    gateway = await startGateway({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      GATEWAY_GRPC_HOST: '127.0.0.1',
      GATEWAY_GRPC_PORT: '0',
      GATEWAY_HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      GATEWAY_ACK_INTERVAL_MS: String(ACK_INTERVAL_MS),
      AGENT_KEYS: Array.from({ length: IDLE_STREAMS }, (_, i) => agentKey(i)).join(','),
    });
    const metricsUrl = `http://127.0.0.1:${gateway.httpPort}/metrics`;
    const metrics = async () => (await fetch(metricsUrl)).text();

    // Idle streams first, while the gateway process has not yet grown its heap under load.
    console.log(`\n== Idle streams: ${IDLE_STREAMS} DataStreams, each on its own channel, Heartbeat every 5 s`);
    const idle = await runIdleStreams({
      port: gateway.grpcPort,
      streams: IDLE_STREAMS,
      processes: IDLE_PROCESSES,
      holdMs: 15_000,
      heartbeatEveryMs: 5000,
      openStreams: async () => metricSum(await metrics(), 'gateway_open_streams'),
      gc,
      clients,
    });
    const perStreamKiB = (idle.rssAfter - idle.rssBefore) / IDLE_STREAMS / 1024;
    console.log(`   gateway RSS before ${fmt(idle.rssBefore / 2 ** 20, 1)} MiB, with all streams ${fmt(idle.rssAfter / 2 ** 20, 1)} MiB`);
    console.log(`   resident memory per stream: ${fmt(perStreamKiB, 1)} KiB (JS heap ${fmt(idle.heapDelta / IDLE_STREAMS / 1024, 1)} KiB of it)`);
    console.log(`   gateway_open_streams: ${idle.openStreams} (expected ${IDLE_STREAMS}); opened by clients: ${idle.opened}`);
    console.log(`   heartbeats: ${fmt(idle.heartbeatsOk)} succeeded, ${idle.heartbeatsFailed} failed over ${fmt(idle.heldMs / 1000, 1)} s`);
    if (idle.openStreams !== IDLE_STREAMS) failures.push(`idle: gateway_open_streams=${idle.openStreams}`);
    if (idle.heartbeatsFailed > 0 || idle.heartbeatsOk === 0) failures.push(`idle: heartbeats failed: ${idle.failures.join('; ')}`);
    if (idle.streamErrors.length > 0) failures.push(`idle: stream errors: ${idle.streamErrors.join('; ')}`);

    console.log('\n== a. Transport limit: bare grpc-js server, pass-through deserializer, messages counted and dropped');
    const bare = await startPassThroughServer();
    const transport = await runLoad({ ...load, port: bare.port, label: 'a', expectAcks: false, received: bare.received });
    await bare.close();
    console.log(`   ${rate(transport.messagesPerSecond)}\n   ${cpuText(transport)}`);
    rows.push({ scenario: 'a. transport limit (pass-through)', messages: transport.messagesPerSecond, note: '' });

    console.log('\n== b. Bare grpc-js server with @grpc/proto-loader objects (NestJS default transport)');
    const loader = await startProtoLoaderServer();
    const protoLoader = await runLoad({ ...load, port: loader.port, label: 'b', expectAcks: false, received: loader.received });
    await loader.close();
    console.log(`   ${rate(protoLoader.messagesPerSecond)}\n   ${cpuText(protoLoader)}`);
    rows.push({ scenario: 'b. proto-loader server', messages: protoLoader.messagesPerSecond, note: '' });

    console.log('\n== c. Bare kafkajs producer: same payloads, 3 partitions, acks=-1, 4 × sendBatch(500) in flight');
    const producer = await runBareProducer({
      brokers: brokers.split(','),
      topic: `${prefix}bare-stats`,
      agents: AGENTS,
      batchSize: 500,
      concurrency: 4,
      warmupMs: WARMUP_MS,
      durationMs: SECONDS * 1000,
    });
    const batchNote = `batch of 500 acked in p50 ${fmt(producer.batchMs.p50, 1)} ms, p99 ${fmt(producer.batchMs.p99, 1)} ms`;
    console.log(`   ${rate(producer.messagesPerSecond)} (${producer.payloadBytes}-byte values)\n   ${batchNote}`);
    rows.push({ scenario: 'c. bare kafkajs producer', messages: producer.messagesPerSecond, note: batchNote });

    console.log(`\n== d. Gateway (in this process), ACK interval ${ACK_INTERVAL_MS} ms, clients write as fast as it reads`);
    const before = await metrics();
    const full = await runLoad({ ...load, port: gateway.grpcPort, label: 'd', expectAcks: true });
    const after = await metrics();
    const batches = metricSum(after, 'kafka_batch_send_seconds_count') - metricSum(before, 'kafka_batch_send_seconds_count');
    const batchSeconds = metricSum(after, 'kafka_batch_send_seconds_sum') - metricSum(before, 'kafka_batch_send_seconds_sum');
    const dlq = metricSum(after, 'gateway_messages_total', 'outcome="dlq');
    console.log(`   ACKed: ${rate(full.messagesPerSecond)}`);
    console.log(`   accept latency (write -> ACK): p50 ${fmt(full.latency.p50, 1)} ms, p99 ${fmt(full.latency.p99, 1)} ms, max ${fmt(full.latency.max, 1)} ms`);
    console.log(`   ${cpuText(full)}`);
    console.log(`   gateway Kafka batches: ${fmt(batches)}, mean ${fmt((batchSeconds / batches) * 1000, 1)} ms each, ${fmt(full.acked / Math.max(1, batches), 0)} records/batch on average`);
    if (dlq > 0) failures.push(`gateway sent ${dlq} benchmark messages to the DLQ`);

    const moderateRate = Math.max(1, Math.floor((full.messagesPerSecond * 0.5) / AGENTS));
    console.log(`\n== d'. Gateway at half that rate (${moderateRate} msg/s per agent, ${fmt(moderateRate * AGENTS)} msg/s offered)`);
    const half = await runLoad({ ...load, seconds: Math.max(3, SECONDS / 2), port: gateway.grpcPort, label: "d'", expectAcks: true, ratePerAgent: moderateRate });
    console.log(`   ACKed: ${rate(half.messagesPerSecond)}`);
    console.log(`   accept latency (write -> ACK): p50 ${fmt(half.latency.p50, 1)} ms, p99 ${fmt(half.latency.p99, 1)} ms, max ${fmt(half.latency.max, 1)} ms`);
    console.log(`   ${cpuText(half)}`);
    console.log(
      `   the ${ACK_INTERVAL_MS} ms ACK interval adds 0-${ACK_INTERVAL_MS} ms (about ${ACK_INTERVAL_MS / 2} ms on average) to these ` +
        `latencies; at the default 200 ms it would add 0-200 ms (about 100 ms on average); it does not limit throughput`,
    );

    const ceiling = Math.min(transport.messagesPerSecond, producer.messagesPerSecond);
    const ratio = full.messagesPerSecond / ceiling;
    const verdict = ratio >= TARGET ? 'MEETS' : 'MISSES';
    const latencyNote = (f: LoadFigures) => `accept p50 ${fmt(f.latency.p50, 1)} ms, p99 ${fmt(f.latency.p99, 1)} ms`;
    rows.push({ scenario: 'd. gateway, saturated (ACKed)', messages: full.messagesPerSecond, note: latencyNote(full) });
    rows.push({ scenario: "d'. gateway, half rate (ACKed)", messages: half.messagesPerSecond, note: latencyNote(half) });

    console.log(`\n== Summary (${fmt((Date.now() - began) / 1000, 0)} s wall time)`);
    const width = Math.max(...rows.map((r) => r.scenario.length));
    console.log(`   ${'scenario'.padEnd(width)}  ${'messages/s'.padStart(11)}  ${'container rows/s'.padStart(16)}  notes`);
    for (const r of rows) {
      console.log(`   ${r.scenario.padEnd(width)}  ${fmt(r.messages).padStart(11)}  ${fmt(r.messages * CONTAINERS_PER_MESSAGE).padStart(16)}  ${r.note}`);
    }
    console.log(`   ${'idle streams'.padEnd(width)}  ${fmt(IDLE_STREAMS).padStart(11)}  ${''.padStart(16)}  ${fmt(perStreamKiB, 1)} KiB resident per stream, ${idle.openStreams} open, ${idle.heartbeatsFailed} heartbeat failures`);
    console.log(
      `   gateway / min(transport, bare producer) = ${fmt(full.messagesPerSecond)} / ${fmt(ceiling)} = ` +
        `${fmt(ratio * 100, 1)} %: ${verdict} the ${TARGET * 100} % target`,
    );
  } catch (error) {
    failures.push((error as Error).stack ?? String(error));
  } finally {
    clients.forEach((c) => c.kill());
    await gateway?.close().catch((e: Error) => failures.push(`gateway close: ${e.message}`));
    if (!broker && process.env.KAFKA_BROKERS) await deleteTopics(process.env.KAFKA_BROKERS, prefix);
    await broker?.stop().catch((e: Error) => failures.push(`broker stop: ${e.message}`));
  }
  if (failures.length > 0) console.error(`\nFAILED:\n - ${failures.join('\n - ')}`);
  return failures.length > 0 ? 1 : 0;
}

/** On a shared broker, leave nothing behind. */
async function deleteTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ clientId: 'gateway-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch (error) {
    console.warn(`could not delete the benchmark topics ${prefix}*: ${(error as Error).message}`);
  } finally {
    await admin.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
