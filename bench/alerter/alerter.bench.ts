import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { loadRulesFile } from '@app/alerting';
import {
  BenchApp,
  BenchKafka,
  cpuSeconds,
  freePort,
  MachineMeter,
  metricSum,
  percentile,
  sleep,
  waitReady,
} from '../commands/bench-apps';
import { LOG_DIR, provideKafka, rssMiB, startBuiltApp } from './alerter-apps';
import { AlertStory, alertStories } from './alerts-reader';
import { benchRulesYaml, HOT_EVERY, PROBE_ACTION, PROBE_RULE } from './bench-rules';
import { hostsOf, LoadAgent, loadAgentKey, LoadHost, Tracked } from './load-agent';
import { ProbeReceiver } from './probe-receiver';

/**
 * `npm run bench:alerter` (after `npm run build`): the alerter under a fleet's load. A gateway and
 * an alerter in processes of their own from dist/, on a broker of their own (or KAFKA_BROKERS,
 * with topics of a fresh prefix); the alerter has 100 rules (bench-rules.ts) and posts to a
 * webhook receiver in this process. BENCH_AGENTS agents (200) on the generated gRPC client, over
 * BENCH_CHANNELS connections (4), report BENCH_CONTAINERS containers (10,000) on hosts of
 * BENCH_CONTAINERS_PER_MESSAGE containers (5): each CONTAINER_STATS message is one host's
 * containers, BENCH_RATE messages/s (2,000) for BENCH_WARMUP_S (5) + BENCH_DURATION_S (60), open
 * loop, plus BENCH_EVENT_RATE container events/s (50) and a probe event every
 * BENCH_PROBE_INTERVAL_MS (200 ms) that one rule turns into an alert (resolve_after
 * BENCH_PROBE_RESOLVE_AFTER, 1s). Latency per probe: from its write on the agent's stream, and from
 * the ACK that covers it, to its firing alert at the webhook. Exit code 1 when probes are lost
 * (received < sent after the drain): the alerts topic is then read to tell, for the first lost
 * ones, what the alerter decided and notified. The p99 target (≤ 2 s) is informational.
 * BENCH_ALERTER_NODE_ARGS=--cpu-prof leaves the alerter's profile in .cache/bench-alerter/.
 */
const envNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const DURATION_S = envNumber('BENCH_DURATION_S', 60);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5);
const RATE = envNumber('BENCH_RATE', 2000);
const CONTAINERS = Math.round(envNumber('BENCH_CONTAINERS', 10_000));
const AGENT_COUNT = Math.round(envNumber('BENCH_AGENTS', 200));
const PER_MESSAGE = Math.round(envNumber('BENCH_CONTAINERS_PER_MESSAGE', 5));
const EVENT_RATE = envNumber('BENCH_EVENT_RATE', 50);
const CHANNELS = Math.round(envNumber('BENCH_CHANNELS', 4));
const PROBE_INTERVAL_MS = envNumber('BENCH_PROBE_INTERVAL_MS', 200);
const BROKER_PORT = envNumber('BENCH_KAFKA_PORT', 49392);
/** The probe rule's quiet period: its alerts resolve this long (receive clock) after their event. */
const PROBE_RESOLVE_AFTER = process.env.BENCH_PROBE_RESOLVE_AFTER ?? '1s';
/** e.g. `--cpu-prof`: the alerter's profile lands in .cache/bench-alerter/ when it exits. */
const ALERTER_NODE_ARGS = (process.env.BENCH_ALERTER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const TARGET_P99_MS = 2000;
const DRAIN_MS = 30_000;
const SETUP_TIMEOUT_MS = 180_000;
const HEARTBEAT_MS = 30_000;
const CONNECT_CONCURRENCY = 20;
/** A stream with more messages than this not yet ACKed gets no more: the send is skipped (counted). */
const MAX_UNACKED = 2000;
const TICK_MS = 5;
const TIMELINE_MS = 5000;

const HOSTS_PER_AGENT = CONTAINERS / AGENT_COUNT / PER_MESSAGE;
const RUN = randomBytes(3).toString('hex');
const PREFIX = `benchalr${RUN}.`;
const SECRET = `bench-alerter-hash-secret-${randomBytes(12).toString('hex')}`;

/** Set once the run is being torn down (SIGINT, SIGTERM, the watchdog, the end): loops stop. */
let stopping = false;
/** Set by SIGINT, SIGTERM or the watchdog: their handler exits once the apps are stopped. */
let interrupting = false;

const print = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
const random = (n: number) => Math.floor(Math.random() * n);

/**
 * The event mix (~50/s): mostly harmless (exec, health checks, clean exits); ~2 % exits with a
 * failing code (container-died and friends fire, ~1/s at 50 events/s), a few OOMs, kills, restarts.
 */
const EVENT_MIX: { weight: number; action: string; attrs: () => Record<string, string> }[] = [
  { weight: 30, action: 'exec_start', attrs: () => ({ execID: randomBytes(8).toString('hex') }) },
  { weight: 14, action: 'exec_die', attrs: () => ({ exitCode: '0' }) },
  { weight: 1, action: 'exec_die', attrs: () => ({ exitCode: '1' }) },
  { weight: 25, action: 'health_status: healthy', attrs: () => ({}) },
  { weight: 1, action: 'health_status: unhealthy', attrs: () => ({}) },
  { weight: 6, action: 'die', attrs: () => ({ exitCode: Math.random() < 0.5 ? '0' : '143' }) },
  { weight: 2, action: 'die', attrs: () => ({ exitCode: Math.random() < 0.5 ? '1' : '137' }) },
  { weight: 6, action: 'start', attrs: () => ({}) },
  { weight: 5, action: 'stop', attrs: () => ({}) },
  { weight: 5, action: 'kill', attrs: () => ({ signal: '15' }) },
  { weight: 3, action: 'restart', attrs: () => ({}) },
  { weight: 0.4, action: 'oom', attrs: () => ({}) },
  { weight: 1.6, action: 'attach', attrs: () => ({}) },
];
const MIX_TOTAL = EVENT_MIX.reduce((a, b) => a + b.weight, 0);
function pickEvent(): (typeof EVENT_MIX)[number] {
  let r = Math.random() * MIX_TOTAL;
  for (const e of EVENT_MIX) if ((r -= e.weight) < 0) return e;
  return EVENT_MIX[0];
}

interface Deployment {
  gateway: BenchApp;
  grpcPort: number;
  gatewayHttp: number;
  alerter: BenchApp;
  alerterHttp: number;
  partitions: number;
}

interface Probe {
  n: number;
  name: string;
  measured: boolean;
  tracked: Tracked;
}

/** A snapshot of the counters the report subtracts; each app's figures with the time they were read. */
interface Snapshot {
  /** When the alerter's /metrics answered (its CPU is read then). */
  at: number;
  alerterCpu: number;
  /** How long its /metrics took to answer (its event loop is busy evaluating). */
  alerterScrapeMs: number;
  inputs: Map<string, number>;
  transitions: Map<string, number>;
  tooLate: number;
  ruleErrors: number;
  /** When the gateway's /metrics answered. */
  gatewayAt: number;
  gatewayCpu: number;
  gatewayMessages: Map<string, number>;
}

// ---------------------------------------------------------------- setup

async function deploy(
  brokers: string,
  rulesFile: string,
  webhook: string,
  apps: BenchApp[],
): Promise<Deployment> {
  const keys = Array.from({ length: AGENT_COUNT }, (_, i) => loadAgentKey(RUN, i)).join(',');
  const shared = { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: PREFIX };
  const [grpcPort, gatewayHttp, alerterHttp] = [await freePort(), await freePort(), await freePort()];
  const gateway = startBuiltApp('gateway', 'apps/gateway/src/main.js', {
    ...shared,
    AUTH_HASH_SECRET: SECRET,
    GATEWAY_ID: `gw-${RUN}`,
    AGENT_KEYS: keys,
    GATEWAY_GRPC_HOST: '127.0.0.1',
    GATEWAY_GRPC_PORT: String(grpcPort),
    GATEWAY_HTTP_PORT: String(gatewayHttp),
  });
  apps.push(gateway);
  await waitReady(gateway, `http://127.0.0.1:${gatewayHttp}/readyz`, 60_000);
  const alerter = startBuiltApp(
    'alerter',
    'apps/alerter/src/main.js',
    {
      ...shared,
      ALERTER_ID: `alerter-${RUN}`,
      ALERTER_HTTP_PORT: String(alerterHttp),
      ALERTER_RULES_FILE: rulesFile,
      ALERTER_WEBHOOK_URL: webhook,
    },
    ALERTER_NODE_ARGS,
  );
  apps.push(alerter);
  await waitReady(alerter, `http://127.0.0.1:${alerterHttp}/readyz`, 60_000);
  // Every input partition rebuilt (nothing to read on fresh topics) and evaluated live.
  const deadline = Date.now() + 60_000;
  let live = 0;
  let rules = 0;
  for (;;) {
    live = await metricSum(alerterHttp, 'alerter_partitions_live');
    rules = await metricSum(alerterHttp, 'alerter_rules');
    if (live > 0 && live === Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 3) && rules === 100) break;
    if (Date.now() > deadline)
      throw new Error(`alerter: ${live} partitions live, ${rules} rules after 60 s; see ${alerter.log}`);
    await sleep(250);
  }
  return { gateway, grpcPort, gatewayHttp, alerter, alerterHttp, partitions: live };
}

async function connectAgents(port: number, agents: LoadAgent[]): Promise<void> {
  for (let i = 0; i < AGENT_COUNT; i++)
    agents.push(
      new LoadAgent(i, loadAgentKey(RUN, i), port, i % CHANNELS, hostsOf(i, HOSTS_PER_AGENT, PER_MESSAGE)),
    );
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < agents.length; i = next++) {
      for (let attempt = 1; ; attempt++) {
        try {
          await agents[i].connect(HEARTBEAT_MS);
          break;
        } catch (error) {
          if (attempt >= 5) throw new Error(`agent ${i}: ${(error as Error).message}`);
          await sleep(500 * attempt);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
}

/** The series of a metric in a /metrics text, by their label text (`` for none). */
function series(text: string, name: string): Map<string, number> {
  const pattern = new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.e+-]+)$`, 'gm');
  return new Map([...text.matchAll(pattern)].map((m) => [m[1] ?? '', Number(m[2])]));
}

async function scrape(port: number): Promise<{ text: string; at: number; tookMs: number }> {
  const from = performance.now();
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const at = performance.now();
  return { text, at, tookMs: at - from };
}

async function snapshot(d: Deployment): Promise<Snapshot> {
  const [alerter, gateway] = await Promise.all([
    scrape(d.alerterHttp).then((r) => ({ ...r, cpu: cpuSeconds(d.alerter.child.pid) })),
    scrape(d.gatewayHttp).then((r) => ({ ...r, cpu: cpuSeconds(d.gateway.child.pid) })),
  ]);
  return {
    at: alerter.at,
    alerterCpu: alerter.cpu,
    alerterScrapeMs: alerter.tookMs,
    inputs: byLabel(series(alerter.text, 'alerter_inputs_total'), 'topic', (t) => t.slice(PREFIX.length)),
    transitions: byLabel(series(alerter.text, 'alerter_transitions_total'), 'state'),
    tooLate: total(series(alerter.text, 'alerter_inputs_too_late_total')),
    ruleErrors: total(series(alerter.text, 'alerter_rule_errors_total')),
    gatewayAt: gateway.at,
    gatewayCpu: gateway.cpu,
    gatewayMessages: byLabel(series(gateway.text, 'gateway_messages_total'), 'outcome'),
  };
}

function byLabel(series: Map<string, number>, label: string, rename = (v: string) => v): Map<string, number> {
  const out = new Map<string, number>();
  for (const [labels, value] of series) {
    const key = rename(new RegExp(`${label}="([^"]*)"`).exec(labels)?.[1] ?? labels);
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const delta = (after: Map<string, number>, before: Map<string, number>) =>
  new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
const accepted = (gatewayMessages: Map<string, number>) =>
  total(new Map([...gatewayMessages].filter(([k]) => !k.startsWith('dlq'))));
const mapText = (m: Map<string, number>) =>
  [...m]
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ') || 'none';

// ---------------------------------------------------------------- load

interface LoadFigures {
  statsSent: number;
  eventsSent: number;
  probes: Probe[];
  skipped: number;
  /** How far behind schedule the sender was, at worst (ms). */
  maxLagMs: number;
  startedAt: number;
  measuredFrom: number;
  endedAt: number;
  before?: Snapshot;
  after?: Snapshot;
  timeline: Snapshot[];
  rssMaxMiB: number;
  /** Response times of the alerter's /healthz, polled every 250 ms during the load (ms). */
  healthMs: number[];
}

async function runLoad(d: Deployment, agents: LoadAgent[]): Promise<LoadFigures> {
  const hosts: { agent: LoadAgent; host: LoadHost }[] = [];
  // Consecutive stats messages go to different agents: host h of every agent, then h + 1, …
  for (let h = 0; h < HOSTS_PER_AGENT; h++)
    for (const agent of agents) hosts.push({ agent, host: agent.hosts[h] });
  const f: LoadFigures = {
    statsSent: 0,
    eventsSent: 0,
    probes: [],
    skipped: 0,
    maxLagMs: 0,
    startedAt: performance.now(),
    measuredFrom: 0,
    endedAt: 0,
    timeline: [],
    rssMaxMiB: 0,
    healthMs: [],
  };
  const totalMs = (WARMUP_S + DURATION_S) * 1000;
  f.measuredFrom = f.startedAt + WARMUP_S * 1000;
  const endAt = f.startedAt + totalMs;
  const sampling = (async () => {
    await sleep(f.measuredFrom - performance.now());
    f.before = await snapshot(d);
    f.timeline.push(f.before);
    while (performance.now() < endAt - TIMELINE_MS / 2 && !stopping) {
      await sleep(Math.min(TIMELINE_MS, endAt - performance.now()));
      f.rssMaxMiB = Math.max(f.rssMaxMiB, rssMiB(d.alerter.child.pid));
      f.timeline.push(await snapshot(d));
    }
  })();

  // The alerter's event loop (and its share of the CPUs) as a /healthz round trip.
  const health = (async () => {
    while (performance.now() < endAt && !stopping) {
      const from = performance.now();
      try {
        await (await fetch(`http://127.0.0.1:${d.alerterHttp}/healthz`)).text();
        f.healthMs.push(performance.now() - from);
      } catch {
        f.healthMs.push(NaN);
      }
      await sleep(250);
    }
  })();
  // Awaited below; a failure meanwhile (the apps stopped by SIGINT) must not crash this process
  // before its children are stopped.
  void sampling.catch(() => undefined);
  let events = 0;
  let probes = 0;
  for (;;) {
    const now = performance.now();
    const elapsed = Math.min(now, endAt) - f.startedAt;
    const wallMs = Date.now();
    const dueStats = Math.floor((elapsed / 1000) * RATE);
    if (dueStats - f.statsSent > 1)
      f.maxLagMs = Math.max(f.maxLagMs, ((dueStats - f.statsSent) / RATE) * 1000);
    for (; f.statsSent < dueStats; f.statsSent++) {
      const { agent, host } = hosts[f.statsSent % hosts.length];
      if (agent.unacked > MAX_UNACKED) f.skipped++;
      else agent.sendStats(host, wallMs);
    }
    for (const dueEvents = Math.floor((elapsed / 1000) * EVENT_RATE); events < dueEvents; events++) {
      const agent = agents[random(agents.length)];
      const host = agent.hosts[random(agent.hosts.length)];
      const container = host.containers[random(host.containers.length)];
      const e = pickEvent();
      if (agent.unacked > MAX_UNACKED) f.skipped++;
      else {
        agent.sendEvent(host, container, e.action, e.attrs(), wallMs);
        f.eventsSent++;
      }
    }
    for (const dueProbes = Math.floor(elapsed / PROBE_INTERVAL_MS); probes < dueProbes; probes++) {
      const agent = agents[probes % agents.length];
      const name = `probe-${RUN}-${probes}`;
      const container = { id: randomBytes(32).toString('hex'), name, image: 'bench/probe:1' };
      const tracked = agent.sendEvent(agent.hosts[0], container, PROBE_ACTION, {}, wallMs);
      agent.track(tracked);
      f.probes.push({ n: probes, name, measured: tracked.writtenAt >= f.measuredFrom, tracked });
    }
    if (now >= endAt || stopping) break;
    await sleep(TICK_MS);
  }
  f.endedAt = performance.now();
  await Promise.all([sampling, health]);
  f.after = await snapshot(d);
  f.rssMaxMiB = Math.max(f.rssMaxMiB, rssMiB(d.alerter.child.pid));
  return f;
}

/** After the load: until every probe arrived and the alerter read everything the gateway stored (bounded). */
async function drain(
  d: Deployment,
  load: LoadFigures,
  receiver: ProbeReceiver,
): Promise<{ probesMs: number; caughtUpMs: number; last: Snapshot }> {
  const from = performance.now();
  let probesMs = NaN;
  let caughtUpMs = NaN;
  let last = load.after!;
  while (performance.now() - from < DRAIN_MS && !stopping) {
    if (Number.isNaN(probesMs) && load.probes.every((p) => receiver.probeArrivals.has(p.name)))
      probesMs = performance.now() - from;
    last = await snapshot(d);
    if (last.at - load.timeline[load.timeline.length - 1].at >= TIMELINE_MS) load.timeline.push(last);
    const storedSamples = (last.gatewayMessages.get('stats') ?? 0) * PER_MESSAGE;
    if (Number.isNaN(caughtUpMs) && (last.inputs.get('stats') ?? 0) >= storedSamples)
      caughtUpMs = performance.now() - from;
    if (!Number.isNaN(probesMs) && !Number.isNaN(caughtUpMs)) break;
    await sleep(250);
  }
  return { probesMs, caughtUpMs, last };
}

// ---------------------------------------------------------------- report

function latencyLine(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const p = (q: number) => `${fmt(percentile(sorted, q), 0)} ms`;
  return (
    `${label.padEnd(36)} p50 ${p(50).padStart(8)}   p90 ${p(90).padStart(8)}   ` +
    `p99 ${p(99).padStart(8)}   max ${fmt(sorted[sorted.length - 1], 0).padStart(6)} ms   (n=${sorted.length})`
  );
}

async function main(): Promise<number> {
  const began = performance.now();
  const apps: BenchApp[] = [];
  const agents: LoadAgent[] = [];
  let kafka: BenchKafka | undefined;
  let receiver: ProbeReceiver | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      stopping = true;
      agents.forEach((a) => a.close());
      await Promise.all([...apps].reverse().map((a) => a.stop()));
      await receiver?.close();
      await kafka?.release(PREFIX);
    })());
  const interrupted = (signal: string) => {
    interrupting = true;
    process.stderr.write(`\n${signal}: stopping the apps and the broker…\n`);
    void cleanup().finally(() => process.exit(130));
  };
  // Last resort when this process ends some other way: no app outlives it.
  process.once('exit', () => apps.forEach((a) => a.child.exitCode === null && a.child.kill('SIGKILL')));
  process.once('SIGINT', () => interrupted('SIGINT'));
  process.once('SIGTERM', () => interrupted('SIGTERM'));
  const watchdog = setTimeout(
    () => {
      interrupting = true;
      process.stderr.write('bench:alerter exceeded its time bound; stopping\n');
      void cleanup().finally(() => process.exit(1));
    },
    SETUP_TIMEOUT_MS * 2 + (WARMUP_S + DURATION_S) * 2000 + DRAIN_MS * 2,
  );
  watchdog.unref();

  try {
    if (!Number.isInteger(HOSTS_PER_AGENT))
      throw new Error(
        `BENCH_CONTAINERS (${CONTAINERS}) must be a multiple of BENCH_AGENTS × BENCH_CONTAINERS_PER_MESSAGE ` +
          `(${AGENT_COUNT} × ${PER_MESSAGE})`,
      );
    const hostCount = AGENT_COUNT * HOSTS_PER_AGENT;
    print(
      `machine: ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => fmt(l, 2))
        .join(' ')} at start (agents, gateway, alerter and Kafka share them)`,
    );
    print(
      `workload: ${fmt(CONTAINERS)} containers on ${fmt(hostCount)} hosts of ${PER_MESSAGE} (${AGENT_COUNT} agents × ` +
        `${HOSTS_PER_AGENT} hosts, one DataStream each, over ${CHANNELS} gRPC connections); ${fmt(RATE)} CONTAINER_STATS ` +
        `messages/s of one host's ${PER_MESSAGE} containers (${fmt(RATE * PER_MESSAGE)} samples/s, each container every ` +
        `${fmt(hostCount / RATE, 2)} s) + ${fmt(EVENT_RATE)} events/s + a probe every ${PROBE_INTERVAL_MS} ms; ` +
        `${WARMUP_S} s warm-up + ${DURATION_S} s measured`,
    );
    mkdirSync(LOG_DIR, { recursive: true });
    const rulesFile = join(LOG_DIR, `rules-${RUN}.yaml`);
    const rulesYaml = benchRulesYaml(PROBE_RESOLVE_AFTER);
    const loaded = loadRulesFile(rulesYaml, rulesFile);
    if (!loaded.ok) throw new Error(`the generated rules do not load: ${loaded.error}`);
    if (loaded.rules.length !== 100) throw new Error(`expected 100 rules, generated ${loaded.rules.length}`);
    writeFileSync(rulesFile, rulesYaml);
    const bySource = new Map<string, number>();
    for (const r of loaded.rules) bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
    print(
      `rules: ${loaded.rules.length} (${mapText(bySource)}; the probe rule "${PROBE_RULE}" among the events, ` +
        `resolve_after ${PROBE_RESOLVE_AFTER}) in ${rulesFile}; ` +
        `hot containers (CPU ~97 %, memory ~93 %): 1 in ${HOT_EVERY}`,
    );

    kafka = await provideKafka(BROKER_PORT);
    print(`Kafka: ${kafka.started ? 'started a local broker on ' : 'using KAFKA_BROKERS='}${kafka.brokers}`);
    print(`topic prefix ${PREFIX}; app logs in ${LOG_DIR}/`);
    receiver = await ProbeReceiver.start();
    const d = await deploy(kafka.brokers, rulesFile, receiver.url, apps);
    const connectStarted = performance.now();
    await connectAgents(d.grpcPort, agents);
    // The lists reach the alerter (containers absence rules know the containers) before the load.
    const listDeadline = performance.now() + 30_000;
    const listsRead = async () => (await snapshot(d)).inputs.get('list') ?? 0;
    while ((await listsRead()) < hostCount && performance.now() < listDeadline) await sleep(200);
    print(
      `setup: gateway and alerter ready (${d.partitions} input partitions live, 100 rules), ${agents.length} agents ` +
        `registered with a DataStream and their hosts' container lists in ${fmt((performance.now() - connectStarted) / 1000, 1)} s`,
    );

    // One probe before the load: the path works, and its figure is the unloaded latency.
    const first = agents[0].sendEvent(
      agents[0].hosts[0],
      { id: randomBytes(32).toString('hex'), name: `probe-${RUN}-idle`, image: 'bench/probe:1' },
      PROBE_ACTION,
      {},
      Date.now(),
    );
    agents[0].track(first);
    const idleDeadline = performance.now() + 30_000;
    while (!receiver.probeArrivals.has(`probe-${RUN}-idle`) && performance.now() < idleDeadline)
      await sleep(5);
    const idleAt = receiver.probeArrivals.get(`probe-${RUN}-idle`);
    if (idleAt === undefined)
      throw new Error(
        `the probe before the load did not reach the webhook within 30 s; see ${d.alerter.log}`,
      );
    print(
      `unloaded probe: ${fmt(idleAt - first.writtenAt, 0)} ms from the write` +
        (first.ackedAt !== undefined ? `, ${fmt(idleAt - first.ackedAt, 0)} ms from its ACK` : ''),
    );

    const machine = new MachineMeter();
    const benchCpu = process.cpuUsage();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    print(`\nload: ${WARMUP_S} s warm-up + ${DURATION_S} s…`);
    const load = await runLoad(d, agents);
    const machineLoad = machine.read();
    const benchCpuS = (() => {
      const u = process.cpuUsage(benchCpu);
      return (u.user + u.system) / 1e6;
    })();
    const loadAvgAtEnd = loadavg();
    const drained = await drain(d, load, receiver);
    loopDelay.disable();

    // ---- the report
    const before = load.before!;
    const after = load.after!;
    const windowS = (after.at - before.at) / 1000;
    const gatewayS = (after.gatewayAt - before.gatewayAt) / 1000;
    const inputs = delta(after.inputs, before.inputs);
    const inputsTotal = total(inputs);
    const gwWindow = delta(after.gatewayMessages, before.gatewayMessages);
    const alerterCpu = after.alerterCpu - before.alerterCpu;
    const gatewayCpu = after.gatewayCpu - before.gatewayCpu;
    // Records the alerter read in the window: one per event, list and lifecycle record, one per stats message.
    const recordsRead = inputsTotal - (inputs.get('stats') ?? 0) + (inputs.get('stats') ?? 0) / PER_MESSAGE;
    const backlogSamples =
      (after.gatewayMessages.get('stats') ?? 0) * PER_MESSAGE - (after.inputs.get('stats') ?? 0);
    const measured = load.probes.filter((p) => p.measured);
    const arrivals = (ps: Probe[]) => ps.filter((p) => receiver!.probeArrivals.has(p.name));
    const fromWrite = arrivals(measured).map(
      (p) => receiver!.probeArrivals.get(p.name)! - p.tracked.writtenAt,
    );
    const fromAck = arrivals(measured)
      .filter((p) => p.tracked.ackedAt !== undefined)
      .map((p) => receiver!.probeArrivals.get(p.name)! - p.tracked.ackedAt!);
    const writeToAck = measured
      .filter((p) => p.tracked.ackedAt !== undefined)
      .map((p) => p.tracked.ackedAt! - p.tracked.writtenAt);
    const lost = load.probes.length - arrivals(load.probes).length;

    print(`\n== Alerter under load (${fmt((performance.now() - began) / 1000)} s wall time)`);
    const sendS = (load.endedAt - load.startedAt) / 1000;
    print(
      `sent: ${fmt(load.statsSent - load.skipped)} stats messages (${fmt((load.statsSent - load.skipped) / sendS, 0)}/s, ` +
        `${fmt(((load.statsSent - load.skipped) * PER_MESSAGE) / sendS, 0)} samples/s), ${fmt(load.eventsSent)} events ` +
        `(${fmt(load.eventsSent / sendS, 1)}/s), ${load.probes.length} probes in ${fmt(sendS, 1)} s; ` +
        `${fmt(load.skipped)} skipped (stream > ${MAX_UNACKED} unACKed); sender at worst ${fmt(load.maxLagMs, 0)} ms behind`,
    );
    print(
      `gateway accepted in the ${fmt(gatewayS, 1)} s window: ${fmt(accepted(gwWindow))} messages ` +
        `(${fmt(accepted(gwWindow) / gatewayS, 0)}/s: ${mapText(gwWindow)}); ` +
        `gateway CPU ${fmt(gatewayCpu, 1)} s (${fmt((gatewayCpu / gatewayS) * 100)} % of a core)`,
    );
    print(
      `alerter evaluated in the ${fmt(windowS, 1)} s window: ${fmt(inputsTotal)} inputs = ${fmt(inputsTotal / windowS, 0)} inputs/s ` +
        `(${mapText(new Map([...inputs].map(([k, v]) => [k, Math.round(v / windowS)])))} per s); ` +
        `events evaluated ${fmt((inputs.get('events') ?? 0) / windowS, 1)}/s; ${fmt(recordsRead / windowS, 0)} records/s read`,
    );
    print(
      `alerter backlog at the end of the load: ${fmt(backlogSamples)} samples ` +
        `(${fmt(backlogSamples / (RATE * PER_MESSAGE), 1)} s of stats); ` +
        (Number.isNaN(drained.caughtUpMs)
          ? `NOT caught up ${DRAIN_MS / 1000} s later`
          : `caught up ${fmt(drained.caughtUpMs / 1000, 1)} s after the load`) +
        `; too late ${fmt(after.tooLate - before.tooLate)}, rule errors ${fmt(after.ruleErrors)}`,
    );
    print(
      `alerter CPU: ${fmt(alerterCpu, 1)} s in the window (${fmt((alerterCpu / windowS) * 100)} % of a core) = ` +
        `${fmt((alerterCpu * 1e6) / recordsRead, 0)} µs per message read, ${fmt((alerterCpu * 1e6) / inputsTotal, 1)} µs ` +
        `per input evaluated (× 100 rules); RSS ${fmt(rssMiB(d.alerter.child.pid), 0)} MiB at the end ` +
        `(max sampled during the load ${fmt(load.rssMaxMiB, 0)} MiB)`,
    );
    const health = [...load.healthMs].sort((a, b) => a - b);
    print(
      `alerter responsiveness during the load: GET /healthz answered in p50 ${fmt(percentile(health, 50), 0)} ms, ` +
        `p99 ${fmt(percentile(health, 99), 0)} ms, max ${fmt(health[health.length - 1], 0)} ms (n=${health.length}); ` +
        `/metrics at worst ${fmt(Math.max(...load.timeline.map((t) => t.alerterScrapeMs)), 0)} ms`,
    );
    print(
      `alert transitions written in the window: ${mapText(delta(after.transitions, before.transitions))}; ` +
        `since the start: ${mapText(drained.last.transitions)}`,
    );
    const firing = [...receiver.firingByRule].sort((a, b) => b[1] - a[1]);
    print(
      `webhook: ${fmt(receiver.posts)} posts (${mapText(receiver.byStatus)}); firing alerts by rule: ` +
        `${firing
          .slice(0, 8)
          .map(([r, n]) => `${r} ${n}`)
          .join(', ')}${firing.length > 8 ? `, … (${firing.length} rules)` : ''}` +
        (receiver.unreadable ? `; ${receiver.unreadable} unreadable` : ''),
    );

    print(
      `\nprobes: ${arrivals(load.probes).length} of ${load.probes.length} received ` +
        `(${measured.length} in the measured window, ${arrivals(measured).length} of them received), ` +
        `${receiver.duplicateProbes} duplicates; ` +
        (Number.isNaN(drained.probesMs)
          ? `${lost} still missing after ${DRAIN_MS / 1000} s`
          : `the last one ${fmt(drained.probesMs / 1000, 1)} s after the load ended`),
    );
    print('latency of a probe event to its firing alert at the webhook (measured window):');
    print(latencyLine('  from its write on the agent stream', fromWrite));
    print(latencyLine("  from the gateway's ACK covering it", fromAck));
    print(latencyLine('  (write → ACK)', writeToAck));
    print(
      '  (the true accept lies between the two: the ACK is sent after the Kafka write, coalesced every 200 ms; ' +
        'the target is judged on "from its write")',
    );
    const perWindow: string[] = [];
    for (let w = 0; w * 10 < DURATION_S; w++) {
      const inWindow = measured
        .filter((p) => Math.floor((p.tracked.writtenAt - load.measuredFrom) / 10_000) === w)
        .filter((p) => receiver!.probeArrivals.has(p.name))
        .map((p) => receiver!.probeArrivals.get(p.name)! - p.tracked.writtenAt)
        .sort((a, b) => a - b);
      perWindow.push(`${w * 10}-${Math.min(DURATION_S, w * 10 + 10)} s: ${fmt(percentile(inWindow, 99), 0)}`);
    }
    print(`  p99 from the write per 10 s (ms): ${perWindow.join(', ')}`);

    print(
      '\ntimeline (per 5 s): gateway accepted msg/s | alerter inputs/s | alerter CPU % | backlog samples',
    );
    for (let i = 1; i < load.timeline.length; i++) {
      const [a, b] = [load.timeline[i - 1], load.timeline[i]];
      const s = (b.at - a.at) / 1000;
      const gs = (b.gatewayAt - a.gatewayAt) / 1000;
      const backlog = (b.gatewayMessages.get('stats') ?? 0) * PER_MESSAGE - (b.inputs.get('stats') ?? 0);
      print(
        `  ${fmt((a.at - load.measuredFrom) / 1000, 0).padStart(3)}-${fmt((b.at - load.measuredFrom) / 1000, 0).padEnd(3)} s ` +
          `${fmt((accepted(b.gatewayMessages) - accepted(a.gatewayMessages)) / gs, 0).padStart(6)} | ` +
          `${fmt((total(b.inputs) - total(a.inputs)) / s, 0).padStart(7)} | ` +
          `${fmt(((b.alerterCpu - a.alerterCpu) / s) * 100, 0).padStart(4)} | ${fmt(backlog).padStart(8)}` +
          (a.at >= load.endedAt ? '   (after the load)' : ''),
      );
    }

    print(
      `\nmachine during the load: ${fmt(machineLoad.busyCores, 2)} of ${cpus().length} CPUs busy, some task waiting ` +
        `for a CPU ${fmt(machineLoad.pressurePercent)} % of the time; load average ${loadAvgAtEnd
          .map((l) => fmt(l, 2))
          .join(' ')} at the end of the load; this process (agents, receiver) ${fmt(benchCpuS, 1)} s CPU, ` +
        `event loop delay p99 ${fmt(loopDelay.percentile(99) / 1e6, 1)} ms, max ${fmt(loopDelay.max / 1e6, 1)} ms ` +
        '(it stamps writes and arrivals: its delays are in the figures)',
    );
    if (lost > 0) {
      const missing = load.probes.filter((p) => !receiver!.probeArrivals.has(p.name));
      const names = new Set(missing.slice(0, 10).map((p) => p.name));
      const stories = await alertStories(kafka.brokers, `${PREFIX}alerts`, names, 20_000).catch(
        (error: Error) =>
          new Map<string, AlertStory>([
            ['(alerts topic)', { fingerprint: '', entries: [{ at: 0, what: error.message }] }],
          ]),
      );
      print(`\nlost probes (${lost}; the first ${names.size}), and what the alerts topic says about them:`);
      for (const p of missing.slice(0, 10)) {
        const sentAt = fmt((p.tracked.writtenAt - load.measuredFrom) / 1000, 1);
        const ack =
          p.tracked.ackedAt === undefined
            ? 'never ACKed'
            : `ACKed after ${fmt(p.tracked.ackedAt - p.tracked.writtenAt, 0)} ms`;
        const wroteAt = performance.timeOrigin + p.tracked.writtenAt;
        const told = stories
          .get(p.name)
          ?.entries.map((e) => `${e.what} at +${fmt(e.at - wroteAt, 0)} ms`)
          .join('; ');
        print(`  ${p.name} (written at ${sentAt} s, ${ack}): ${told ?? 'no transition written'}`);
      }
    }
    const ended = agents.filter((a) => a.ended).length;
    if (ended > 0) print(`${ended} agent streams ended during the run (see ${d.gateway.log})`);

    const p99 = percentile(
      [...fromWrite].sort((a, b) => a - b),
      99,
    );
    print('');
    print(
      `${lost === 0 ? 'PASS' : 'FAIL'}: every probe reached the webhook (${load.probes.length - lost} of ${load.probes.length})`,
    );
    print(
      `${p99 <= TARGET_P99_MS ? 'PASS' : 'FAIL'} (informational): p99 from the probe's write to the webhook ≤ ` +
        `${fmt(TARGET_P99_MS)} ms (${fmt(p99, 0)} ms)`,
    );
    return lost === 0 ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    if (interrupting) return; // the signal handler (or the watchdog) exits once the apps are stopped
    process.stderr.write(`bench:alerter failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
