/**
 * Projector benchmark: how fast the stats projection drains a full topic into ClickHouse compared
 * with inserting the same rows directly, and how fresh rows are (gateway accept → visible in
 * ClickHouse) under a steady fleet load. Run with `npm run bench:projector`.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { localGatewayEnv } from '@app/testing';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway.app';
import {
  agentKey,
  BENCH_HASH_SECRET,
  CONTAINERS_PER_MESSAGE,
  latencyHistogram,
  REPO_ROOT,
} from '../gateway/bench-common';
import { ClientProcess, metricSum } from '../gateway/client-process';
import { BenchKafka, provideKafka } from '../gateway/kafka-baseline';
import { exitCodeAfter, fmt, heading, latencyText, printSummary, Row, runBenchmark } from '../gateway/report';
import { runLoad } from '../gateway/scenarios';
import { runBaseline } from './baseline';
import type { BaselineResult } from './baseline-insert';
import { FreshnessProbe, Sighting, sqlMs } from './freshness';
import { prefillStats } from './prefill';
import { CpuMeter, MachineMeter } from './proc-cpu';
import { ProjectorProcess } from './projector-process';
import { histogramDelta, PromHistogram, quantileBound, readHistogram } from './prom-histogram';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MESSAGES = Math.min(200_000, Number(process.env.BENCH_STATS_MESSAGES ?? 20_000));
const BATCH_SETTINGS = (process.env.BENCH_BATCH_ROWS ?? '2000,5000,10000').split(',').map(Number);
const AGENTS = 200;
const CLIENT_PROCESSES = 2;
const RATE_PER_AGENT = 10; // 200 agents × 10 = 2,000 stats messages/s = 40,000 rows/s
const WARMUP_MS = 3000;
const ACK_INTERVAL_MS = 20;
const POLL_MS = 25;
/** count() polls while a topic drains: each costs the ClickHouse worker ~1.5 ms of CPU. */
const COUNT_POLL_MS = 50;
const RATIO_TARGET = 0.7;
const FRESHNESS_P99_TARGET_MS = 2000;
const BROKER_PORT = 49092;
const ROWS = MESSAGES * CONTAINERS_PER_MESSAGE;

const say = (line: string) => console.log(`   ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentOf = (p: number) => `${fmt(p)} %`;

interface DrainFigures {
  batchRows: number;
  rowsPerSecond: number;
  /** From the first poll that saw rows to the last row; undefined if that was one insert. */
  steadyRowsPerSecond: number;
  seconds: number;
  cpu: number[];
  machine: ReturnType<MachineMeter['read']>;
  /** Batches the worker stored, and their mean time (project() call: dedupe check, decode, insert). */
  stores: number;
  storeMs: number;
}

/** Polls count() until `rows` are visible; returns when, and when rows were first seen. */
async function waitForRows(
  projector: ProjectorProcess,
  rows: number,
  timeoutMs: number,
): Promise<{ doneAt: number; firstAt: number; firstCount: number }> {
  const deadline = performance.now() + timeoutMs;
  let firstAt = NaN;
  let firstCount = 0;
  let count = 0;
  for (;;) {
    count = await projector.count();
    const now = performance.now();
    if (count > 0 && Number.isNaN(firstAt)) [firstAt, firstCount] = [now, count];
    if (count >= rows) return { doneAt: now, firstAt, firstCount };
    if (now > deadline) throw new Error(`only ${count} of ${rows} rows visible after ${timeoutMs / 1000} s`);
    await sleep(COUNT_POLL_MS);
  }
}

/** The broker JVM's pid when this run started it (kafka-broker.js keeps it in the data folder). */
function brokerPid(): number {
  try {
    return Number(readFileSync(join(REPO_ROOT, '.cache/kafka/bench-data/broker.pid'), 'utf8').trim());
  } catch {
    return NaN;
  }
}

async function drainTopic(brokers: string, prefix: string, batchRows: number): Promise<DrainFigures> {
  const projector = await ProjectorProcess.start({
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    PROJECTOR_GROUP_PREFIX: `bench-rows${batchRows}-${Date.now()}`,
    PROJECTOR_BATCH_ROWS: String(batchRows),
  });
  try {
    const cpu = new CpuMeter([projector.pid, projector.workerPid(), brokerPid()]);
    const machine = new MachineMeter();
    const { doneAt, firstAt, firstCount } = await waitForRows(projector, ROWS, 150_000);
    const cpuPercents = cpu.percents();
    const machineLoad = machine.read();
    // Store metrics are updated once offsets are committed, a moment after the rows are visible.
    let exposition = await projector.metrics();
    for (let i = 0; i < 50 && metricSum(exposition, 'projector_records_total') < MESSAGES; i++) {
      await sleep(100);
      exposition = await projector.metrics();
    }
    const stores = readHistogram(exposition, 'projector_store_seconds');
    const seconds = (doneAt - projector.consumingAt) / 1000;
    const steady = firstCount < ROWS ? (ROWS - firstCount) / ((doneAt - firstAt) / 1000) : NaN;
    const problems = projector.problems();
    if (problems.length > 0) say(`projector warnings:\n${problems.slice(0, 5).join('\n')}`);
    return {
      batchRows,
      rowsPerSecond: ROWS / seconds,
      steadyRowsPerSecond: steady,
      seconds,
      cpu: cpuPercents,
      machine: machineLoad,
      stores: stores.count,
      storeMs: (stores.sum / stores.count) * 1000,
    };
  } catch (error) {
    console.error(`projector log tail:\n${projector.tail()}`);
    throw error;
  } finally {
    await projector.stop();
  }
}

interface FreshnessFigures {
  upper: ReturnType<typeof summarize>;
  lower: ReturnType<typeof summarize>;
  coverage: number;
  windowRows: number;
  pollRoundTrip: { p50: number; p99: number };
  projectorMetric: PromHistogram;
}

function summarize(sightings: Sighting[], since: (s: Sighting) => number) {
  const h = latencyHistogram();
  for (const s of sightings)
    h.recordValueWithCount(
      Math.max(1, Math.round((since(s) - s.receivedAt) * 1000)),
      Math.max(1, Math.round(s.rows / CONTAINERS_PER_MESSAGE)),
    );
  const ms = (q: number) => (h.totalCount ? h.getValueAtPercentile(q) / 1000 : NaN);
  return { p50: ms(50), p99: ms(99), max: h.totalCount ? h.maxValue / 1000 : NaN, messages: h.totalCount };
}

/** p99 of the (upper-bound) freshness of the messages received in each second of the window. */
function timeline(sightings: Sighting[], windowStart: number, seconds: number): string {
  return Array.from({ length: seconds }, (_, i) => {
    const from = windowStart + i * 1000;
    return fmt(
      summarize(
        sightings.filter((s) => s.receivedAt >= from && s.receivedAt < from + 1000),
        (s) => s.pollDone,
      ).p99,
    );
  }).join(' ');
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Baseline rows/s counting insert() time only, and counting record decoding and row building too. */
const insertRate = (b: BaselineResult) => b.rows / (b.insertMs / 1000);
const withBuildRate = (b: BaselineResult) => b.rows / ((b.insertMs + b.buildMs) / 1000);

/** CPU of the projector, its worker and (when ours) the broker, in % of one core. */
function cpuNote(cpu: number[]): string {
  const kafka = Number.isFinite(cpu[2]) ? `, Kafka broker ${percentOf(cpu[2])}` : '';
  return `CPU: projector ${percentOf(cpu[0])}, its ClickHouse worker ${percentOf(cpu[1])}${kafka} (of one core)`;
}

/** How busy the whole machine was (everyone's processes), and how often something waited for a CPU. */
function machineNote(m: ReturnType<MachineMeter['read']>): string {
  return (
    `machine: ${percentOf(m.busyPercent)} of ${cpus().length * 100} % CPU busy, ` +
    `CPU pressure (some task waiting) ${percentOf(m.pressurePercent)} of the time`
  );
}

async function main(): Promise<number> {
  const began = Date.now();
  const failures: string[] = [];
  const rows: Row[] = [];
  const footer: string[] = [];
  const root = `pbench${Date.now()}.`;
  const clients: ClientProcess[] = [];
  let kafka: BenchKafka | undefined;
  let gateway: RunningGateway | undefined;

  console.log(
    `machine: ${cpus().length} CPUs, load average ${fmt(loadavg()[0], 2)} at start (Kafka, the projector, its ` +
      'ClickHouse worker, the gateway and the load clients share these CPUs)',
  );
  try {
    kafka = await provideKafka(BROKER_PORT);
    const ownedKafka = kafka;
    process.once('SIGINT', () => {
      clients.forEach((c) => c.kill());
      ProjectorProcess.running.forEach((p) => p.kill());
      void ownedKafka.release(root).finally(() => process.exit(130));
    });
    console.log(
      `Kafka: ${kafka.started ? 'started a local broker on ' : 'using KAFKA_BROKERS='}${kafka.brokers}`,
    );
    const brokers = kafka.brokers;

    // ---- 2 and 3. Projection throughput, each setting followed at once by its direct-insert baseline
    const drainPrefix = `${root}t.`;
    heading(
      `Projection throughput vs direct insert: ${fmt(MESSAGES)} stats messages × ${CONTAINERS_PER_MESSAGE} containers = ` +
        `${fmt(ROWS)} rows`,
    );
    const prefill = await prefillStats(brokers.split(','), drainPrefix, MESSAGES, AGENTS);
    say(
      `pre-filled ${drainPrefix}stats (3 partitions) with ${fmt(prefill.messages)} records as the gateway writes them ` +
        `(${prefill.valueBytes}-byte values, key agent_id/host, headers tenant-id … schema) in ${fmt(prefill.seconds, 1)} s`,
    );
    rows.push({
      scenario: 'pre-fill: kafkajs producer, acks=all',
      messages: prefill.messages / prefill.seconds,
      note: '',
    });
    say(
      'projector: `node dist/apps/projector/src/main.js`, PROJECTOR_PROJECTIONS=stats, fresh chDB folder and consumer ' +
        'group per run; timed from its "projector consuming" log line (group joined, fetching starts) until ' +
        `count() = ${fmt(ROWS)}, polled every ${COUNT_POLL_MS} ms through POST /sql`,
    );
    say(
      'baseline: the same rows (statsRows of the same records) inserted with @clickhouse/client JSONEachRow into ' +
        'container_stats made by migrate() (materialized views included), own process and chDB folder, one insert ' +
        'at a time, no Kafka; rows/s counts the time in insert() only',
    );
    const pairs: { d: DrainFigures; b: BaselineResult }[] = [];
    for (const batchRows of BATCH_SETTINGS) {
      const d = await drainTopic(brokers, drainPrefix, batchRows);
      say(
        `PROJECTOR_BATCH_ROWS=${batchRows} (records per insert, ${fmt(batchRows * CONTAINERS_PER_MESSAGE)} rows): ` +
          `${fmt(d.rowsPerSecond)} rows/s (${fmt(d.seconds, 2)} s); from the first visible rows on ` +
          `${fmt(d.steadyRowsPerSecond)} rows/s; ${d.stores} stores of ${fmt(d.storeMs)} ms on average ` +
          `(${fmt((d.stores * d.storeMs) / 10 / d.seconds)} % of the time storing); ${cpuNote(d.cpu)}; ` +
          machineNote(d.machine),
      );
      const b = await runBaseline({ messages: MESSAGES, batchRecords: batchRows, agents: AGENTS });
      if (b.counted !== ROWS)
        failures.push(`baseline ${batchRows}: ${b.counted} rows counted, ${ROWS} expected`);
      say(
        `   baseline, ${b.inserts} inserts of ${fmt(batchRows * CONTAINERS_PER_MESSAGE)} rows: ${fmt(insertRate(b))} rows/s ` +
          `(${fmt(b.insertMs / 1000, 2)} s in insert(), CPU ${percentOf(b.cpuPercent)}); decoding the records and ` +
          `building the rows took another ${fmt(b.buildMs / 1000, 2)} s (decode + build + insert: ${fmt(withBuildRate(b))} rows/s); ` +
          `projector / baseline = ${fmt((d.rowsPerSecond / insertRate(b)) * 100, 1)} %`,
      );
      pairs.push({ d, b });
      rows.push({
        scenario: `projector drain, BATCH_ROWS=${batchRows}`,
        messages: d.rowsPerSecond / CONTAINERS_PER_MESSAGE,
        note:
          `${fmt((d.rowsPerSecond / insertRate(b)) * 100)} % of baseline; ClickHouse worker CPU ${percentOf(d.cpu[1])}, ` +
          `CPU pressure ${percentOf(d.machine.pressurePercent)}`,
      });
      rows.push({
        scenario: `  baseline direct insert, same batches`,
        messages: insertRate(b) / CONTAINERS_PER_MESSAGE,
        note: `insert() time only; with decode + row building ${fmt(withBuildRate(b))} rows/s`,
      });
    }
    const { d: best, b: bestBase } = pairs.reduce((x, y) => (y.d.rowsPerSecond > x.d.rowsPerSecond ? y : x));
    const ratio = best.rowsPerSecond / insertRate(bestBase);
    const ratioLine =
      `projector / baseline at PROJECTOR_BATCH_ROWS=${best.batchRows} (best setting) = ${fmt(best.rowsPerSecond)} / ` +
      `${fmt(insertRate(bestBase))} rows/s = ${fmt(ratio * 100, 1)} %: ` +
      `${ratio >= RATIO_TARGET ? 'MEETS' : 'MISSES'} the ${RATIO_TARGET * 100} % target`;
    const buildLine =
      `(against decode + build + insert, the least the projector's worker does per record: ` +
      `${fmt((best.rowsPerSecond / withBuildRate(bestBase)) * 100, 1)} %)`;
    say(ratioLine);
    say(buildLine);
    footer.push(ratioLine, buildLine);

    // ---- 4. Freshness
    const freshPrefix = `${root}f.`;
    const offered = AGENTS * RATE_PER_AGENT;
    heading(
      `Freshness: gateway (in this process, GATEWAY_ACK_INTERVAL_MS=${ACK_INTERVAL_MS}) → Kafka → projector ` +
        `(default PROJECTOR_BATCH_ROWS / BATCH_MAX_MS) at ${fmt(offered)} stats msg/s from ${AGENTS} agents ` +
        `(${fmt(offered * CONTAINERS_PER_MESSAGE)} rows/s), ${WARMUP_MS / 1000} s warm-up + ${SECONDS} s measured`,
    );
    gateway = await startGateway({
      ...localGatewayEnv({
        brokers,
        agentKeys: Array.from({ length: AGENTS }, (_, i) => agentKey(i)).join(','),
        hashSecret: BENCH_HASH_SECRET,
        logLevel: 'warn',
      }),
      KAFKA_TOPIC_PREFIX: freshPrefix,
      GATEWAY_ACK_INTERVAL_MS: String(ACK_INTERVAL_MS),
    });
    const projector = await ProjectorProcess.start({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: freshPrefix,
    });
    say(
      `projector pid ${projector.pid}, ClickHouse worker pid ${projector.workerPid()}, http :${projector.port}`,
    );
    const exposedBefore = await projector.metrics();
    const metricBefore = readHistogram(exposedBefore, 'projector_freshness_seconds');
    const probe = new FreshnessProbe(projector, POLL_MS);
    probe.start();
    const cpu = new CpuMeter([projector.pid, projector.workerPid(), brokerPid()]);
    const machine = new MachineMeter();
    const loadStarted = performance.now();
    const load = await runLoad({
      label: 'freshness',
      port: gateway.grpcPort,
      agents: AGENTS,
      processes: CLIENT_PROCESSES,
      seconds: SECONDS,
      warmupMs: WARMUP_MS,
      expectAcks: true,
      ratePerAgent: RATE_PER_AGENT,
      clients,
      failures,
    });
    const loadCpu = cpu.percents();
    const loadMachine = machine.read();
    const expected = load.acked * CONTAINERS_PER_MESSAGE;
    await waitForRows(projector, expected, 60_000).catch((e: Error) =>
      failures.push(`freshness: ${e.message}`),
    );
    await probe.stop();
    const exposedAfter = await projector.metrics();
    const storingWindowSeconds = (performance.now() - loadStarted) / 1000;
    const metricAfter = readHistogram(exposedAfter, 'projector_freshness_seconds');
    const stores = histogramDelta(
      readHistogram(exposedAfter, 'projector_store_seconds'),
      readHistogram(exposedBefore, 'projector_store_seconds'),
    );
    const storedRecords =
      metricSum(exposedAfter, 'projector_records_total') -
      metricSum(exposedBefore, 'projector_records_total');
    const [{ first }] = await projector.sql<{ first: string }>(
      'SELECT toUnixTimestamp64Milli(min(received_at)) AS first FROM containeragent.container_stats',
    );
    const windowStart = Number(first) + WARMUP_MS;
    const windowEnd = windowStart + SECONDS * 1000;
    const inWindow = probe.sightings.filter((s) => s.receivedAt >= windowStart && s.receivedAt < windowEnd);
    const windowRows = await projector.count(
      `received_at >= ${sqlMs(windowStart)} AND received_at < ${sqlMs(windowEnd)}`,
    );
    const sighted = inWindow.reduce((n, s) => n + s.rows, 0);
    const fresh: FreshnessFigures = {
      upper: summarize(inWindow, (s) => s.pollDone),
      lower: summarize(inWindow, (s) => s.previousSent),
      coverage: windowRows > 0 ? sighted / windowRows : NaN,
      windowRows,
      pollRoundTrip: { p50: quantile(probe.roundTripsMs, 0.5), p99: quantile(probe.roundTripsMs, 0.99) },
      projectorMetric: histogramDelta(metricAfter, metricBefore),
    };
    const problems = projector.problems();
    await projector.stop();
    if (probe.errors > 0) failures.push(`freshness: ${probe.errors} polls failed, last: ${probe.lastError}`);
    if (problems.length > 0) say(`projector warnings:\n${problems.slice(0, 5).join('\n')}`);

    say(
      `method: a poller in this process sends POST /sql every ${POLL_MS} ms (next one when the answer is in) with ` +
        '"SELECT _src_partition, received_at, count(), max(_src_offset) … WHERE _src_offset > <highest offset seen in ' +
        'that partition> GROUP BY _src_partition, received_at" (the projector stores each partition in offset order, one ' +
        'atomic insert at a time, so these are exactly the rows not seen before); each row is counted once, at the first ' +
        'poll that returns it: freshness = time that answer arrived − received_at (gateway receive time, epoch ms, same ' +
        'clock as the poller). It is an upper bound; ' +
        'the lower bound is when the previous poll (which did not see them yet) was sent − received_at. Granularity: the ' +
        `poll period plus its round trip (p50 ${fmt(fresh.pollRoundTrip.p50, 1)} ms, p99 ${fmt(fresh.pollRoundTrip.p99, 1)} ms, ` +
        `${fmt(probe.roundTripsMs.length)} polls), plus 1 ms for received_at. Each sighting is weighted by its messages (rows / ${CONTAINERS_PER_MESSAGE}). ` +
        'The polls run in the same ClickHouse worker as the inserts (a few ms of its CPU each), so the probe adds some load of its own.',
    );
    say(
      `messages received in the ${SECONDS} s window (after the first received_at + ${WARMUP_MS / 1000} s): ` +
        `${fmt(windowRows / CONTAINERS_PER_MESSAGE)}; the poller sighted ${fmt(fresh.coverage * 100, 1)} % of their rows`,
    );
    const f = fresh.upper;
    say(
      `freshness (gateway accept → row visible in ClickHouse): p50 ${fmt(f.p50)} ms, p99 ${fmt(f.p99)} ms, ` +
        `max ${fmt(f.max)} ms  (lower bounds: p50 ${fmt(fresh.lower.p50)} ms, p99 ${fmt(fresh.lower.p99)} ms, max ${fmt(fresh.lower.max)} ms)`,
    );
    const pm = fresh.projectorMetric;
    say(
      `projector_freshness_seconds (the projector's own: received-at → batch stored and committed, per record, ` +
        `whole run incl. warm-up): ${fmt(pm.count)} records, mean ${fmt((pm.sum / pm.count) * 1000)} ms, ` +
        `p50 ≤ ${fmt(quantileBound(pm, 0.5) * 1000)} ms, p99 ≤ ${fmt(quantileBound(pm, 0.99) * 1000)} ms (bucket bounds)`,
    );
    say(
      `projector batches: ${fmt(stores.count)} stores of ${fmt(storedRecords / stores.count)} records ` +
        `(${fmt((storedRecords / stores.count) * CONTAINERS_PER_MESSAGE)} rows) on average, ` +
        `${fmt((stores.sum / stores.count) * 1000)} ms each (worker project() call: dedupe check, decode, insert), ` +
        `p99 ≤ ${fmt(quantileBound(stores, 0.99) * 1000)} ms; the worker was storing ${fmt((stores.sum / storingWindowSeconds) * 100)} % of the time`,
    );
    say(
      `freshness p99 per second of the window (ms, by received_at): ${timeline(inWindow, windowStart, SECONDS)}`,
    );
    say(
      `gateway while the projector is busy: ACKed ${fmt(load.messagesPerSecond)} msg/s of ${fmt(offered)} offered, ` +
        `accept latency (write → ACK) ${latencyText(load, true)} over ${fmt(load.latency.count)} messages`,
    );
    say(
      `CPU during the load run (warm-up included, % of one core): this process (gateway + poller) ${percentOf(load.serverCpu)}, ` +
        `load clients ${load.clientCpu.map(percentOf).join(' + ')}, ${cpuNote(loadCpu).replace('CPU: ', '')}; ` +
        machineNote(loadMachine),
    );
    if (!(fresh.coverage > 0.99))
      failures.push(`freshness: poller sighted only ${fmt(fresh.coverage * 100, 1)} % of rows`);
    rows.push({
      scenario: `freshness @ ${fmt(offered)} msg/s offered`,
      messages: load.messagesPerSecond,
      note:
        `visible p50 ${fmt(f.p50)} ms, p99 ${fmt(f.p99)} ms, max ${fmt(f.max)} ms; worker CPU ${percentOf(loadCpu[1])}, ` +
        `CPU pressure ${percentOf(loadMachine.pressurePercent)}`,
    });
    rows.push({
      scenario: '  gateway accept (same run)',
      messages: NaN,
      note: `write → ACK ${latencyText(load)}`,
    });
    footer.push(
      `freshness p99 ${fmt(f.p99)} ms: ${f.p99 <= FRESHNESS_P99_TARGET_MS ? 'MEETS' : 'MISSES'} the ≤ ${FRESHNESS_P99_TARGET_MS / 1000} s target`,
      `load average at the end: ${fmt(loadavg()[0], 2)}`,
    );
    printSummary(rows, (Date.now() - began) / 1000, footer);
  } catch (error) {
    failures.push((error as Error).stack ?? String(error));
  } finally {
    clients.forEach((c) => c.kill());
    for (const p of [...ProjectorProcess.running])
      await p.stop().catch((e: Error) => failures.push(`projector stop: ${e.message}`));
    await gateway?.close().catch((e: Error) => failures.push(`gateway close: ${e.message}`));
    await kafka?.release(root).catch((e: Error) => failures.push(`Kafka release: ${e.message}`));
  }
  return exitCodeAfter(failures);
}

runBenchmark(main);
