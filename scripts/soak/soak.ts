/**
 * `npm run soak`: a bounded run (SOAK_MINUTES, default 10) of the whole pipeline from built output
 * — a broker of its own, gateway, projector (embedded ClickHouse on a small tmpfs when the
 * machine allows mounting one) and agent-sim — with random faults: broker, gateway and projector
 * SIGKILLed and restarted, the ClickHouse disk filled for a while. At the end the fleet drains
 * and the run prints what was sent, ACKed, stored in Kafka and projected, and checks them for
 * exactness (exit 1 when a check fails). Not part of CI.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { topicsFor } from '@app/contracts';
import { sqlRows } from '@app/testing';
import { auditTopic } from './soak-audit';
import { SoakProcess, waitHttpOk } from './soak-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require('../../../deploy/kafka/kafka-broker.js') as {
  startBroker(o: object): Promise<unknown>;
  killBroker(o: object): Promise<unknown>;
  stopBroker(o: object): Promise<unknown>;
};

const ROOT = resolve(__dirname, '../../..');
const DIR = join(ROOT, '.cache/soak');
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const AGENTS = Number(process.env.SOAK_AGENTS ?? 20);
const FAULT_EVERY_S = Number(process.env.SOAK_FAULT_INTERVAL_S ?? 30);
const PORT = { kafka: 49092, grpc: 49051, gateway: 49081, projector: 49082, sim: 49090 };
const BROKER = { port: PORT.kafka, dataDir: join(DIR, 'kafka') };
const SECRET = randomBytes(32).toString('hex');
const TOKEN = `sql_${randomBytes(16).toString('hex')}`;
const PREFIX = `soak${randomBytes(3).toString('hex')}.`;
const brokers = `127.0.0.1:${PORT.kafka}`;
const chPath = join(DIR, 'clickhouse');

const log = (text: string) =>
  process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

function mountSmallDisk(): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=768m', 'tmpfs', chPath], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function agentKeys(): string[] {
  return Array.from(
    { length: AGENTS },
    () =>
      `ak_${randomBytes(24)
        .toString('base64')
        .replace(/[^A-Za-z0-9]/g, 'x')}`,
  );
}

const keys = agentKeys();
const common = {
  KAFKA_BROKERS: brokers,
  KAFKA_TOPIC_PREFIX: PREFIX,
  AUTH_HASH_SECRET: SECRET,
  LOG_LEVEL: 'warn',
};
const gateway = new SoakProcess('gateway', join(ROOT, 'dist/apps/gateway/src/main.js'), {
  ...common,
  AGENT_KEYS: keys.join(','),
  GATEWAY_GRPC_HOST: '127.0.0.1',
  GATEWAY_GRPC_PORT: String(PORT.grpc),
  GATEWAY_HTTP_PORT: String(PORT.gateway),
});
const projector = new SoakProcess('projector', join(ROOT, 'dist/apps/projector/src/main.js'), {
  ...common,
  CLICKHOUSE_PATH: join(chPath, 'data'),
  PROJECTOR_HTTP_PORT: String(PORT.projector),
  PROJECTOR_SQL_TOKENS: `*:${TOKEN}`,
});
const sim = new SoakProcess('agent-sim', join(ROOT, 'dist/apps/agent-sim/src/main.js'), {
  LOG_LEVEL: 'info',
  SIM_GATEWAY_ADDR: `127.0.0.1:${PORT.grpc}`,
  SIM_AGENT_KEYS: keys.join(','),
  SIM_HTTP_PORT: String(PORT.sim),
  SIM_STATS_INTERVAL_MS: '1000',
  SIM_INVENTORY_INTERVAL_MS: '15000',
  SIM_INCIDENT_PROBABILITY: '0.01',
  SIM_SHUTDOWN_DRAIN_MS: '60000',
});

type Fault = { name: string; run: () => Promise<void> };

function faults(smallDisk: boolean): Fault[] {
  const list: Fault[] = [
    {
      name: 'broker SIGKILL',
      run: async () => {
        await broker.killBroker(BROKER);
        await sleep(between(1000, 3000));
        await broker.startBroker(BROKER);
      },
    },
    { name: 'gateway SIGKILL', run: () => restartAfter(gateway, `http://127.0.0.1:${PORT.gateway}/healthz`) },
    {
      name: 'projector SIGKILL',
      run: () => restartAfter(projector, `http://127.0.0.1:${PORT.projector}/healthz`),
    },
  ];
  if (smallDisk) list.push({ name: 'ClickHouse disk full for 15 s', run: fillDisk });
  return list;
}

async function restartAfter(app: SoakProcess, healthUrl: string): Promise<void> {
  await app.kill();
  await sleep(between(500, 2000));
  await app.restart();
  await waitHttpOk(healthUrl, 120_000);
}

async function fillDisk(): Promise<void> {
  const ballast = join(chPath, 'ballast');
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${ballast}`, 'bs=1M', 'count=2048'], { stdio: 'ignore' });
  } catch {
    // dd stops when the disk is full: that is the point
  }
  await sleep(15_000);
  rmSync(ballast, { force: true });
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function main(): Promise<void> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(chPath, { recursive: true });
  const smallDisk = mountSmallDisk();
  log(
    `${MINUTES} min, ${AGENTS} agents, a fault every ~${FAULT_EVERY_S} s; ClickHouse on ${smallDisk ? 'a 768 MiB tmpfs' : 'the normal disk (no mount: no disk-full fault)'}`,
  );
  await broker.startBroker(BROKER);
  gateway.start();
  await waitHttpOk(`http://127.0.0.1:${PORT.gateway}/readyz`, 120_000);
  projector.start();
  await waitHttpOk(`http://127.0.0.1:${PORT.projector}/readyz`, 120_000);
  let simSummary = '';
  sim.onLine((line) => {
    if (line.includes('simulated fleet stopped')) simSummary = line;
  });
  sim.start();

  const until = Date.now() + MINUTES * 60_000;
  const done: Record<string, number> = {};
  const available = faults(smallDisk);
  while (Date.now() < until) {
    await sleep(between(FAULT_EVERY_S * 500, FAULT_EVERY_S * 1500));
    if (Date.now() >= until) break;
    const fault = available[Math.floor(Math.random() * available.length)];
    log(fault.name);
    await fault.run();
    done[fault.name] = (done[fault.name] ?? 0) + 1;
  }

  log('faults over: waiting for the gateway and projector to be ready, then draining the fleet');
  await waitHttpOk(`http://127.0.0.1:${PORT.gateway}/readyz`, 120_000);
  await waitHttpOk(`http://127.0.0.1:${PORT.projector}/readyz`, 120_000);
  const simMetrics = `http://127.0.0.1:${PORT.sim}/metrics`;
  const sentStats = await metric(simMetrics, 'sim_messages_sent_total{type="CONTAINER_STATS"');
  const sentAll = await metric(simMetrics, 'sim_messages_sent_total');
  await sim.stop(120_000);
  const summary = (simSummary ? JSON.parse(simSummary) : {}) as { unacknowledged?: number; dropped?: number };

  const topics = topicsFor(PREFIX);
  const stats = await auditTopic(brokers, topics.stats, 'stats');
  const events = await auditTopic(brokers, topics.events, 'events');
  const rowsOf = async (query: string) =>
    (await sqlRows<Record<string, string>>(PORT.projector, query, TOKEN))[0];
  const deadline = Date.now() + 180_000;
  let table = await rowsOf(projectionCounts());
  while (Number(table.stats) !== stats.uniqueRows && Date.now() < deadline) {
    await sleep(2000);
    table = await rowsOf(projectionCounts());
  }

  const checks: [string, boolean][] = [
    ['no app died on its own', [gateway, projector, sim].every((p) => p.crashes.length === 0)],
    ['the fleet drained: nothing left unacknowledged', summary.unacknowledged === 0],
    // `sent` is read just before the SIGTERM, and agents may tick once more before it lands: Kafka
    // holds at least what was counted, and at most one more sample per agent and host.
    [
      'every stats message sent is in Kafka',
      stats.uniqueMessages >= sentStats - (summary.dropped ?? 0) &&
        stats.uniqueMessages <= sentStats + AGENTS,
    ],
    ['stats rows = distinct samples in Kafka', Number(table.stats) === stats.uniqueRows],
    ['no duplicate stats rows', table.stats === table.stats_distinct],
    ['1-minute rollup counts every row once', table.stats === table.rollup_samples],
    ['event rows = distinct events in Kafka', Number(table.events) === events.uniqueRows],
    ['no duplicate event rows', table.events === table.events_distinct],
  ];
  const report = {
    faults: done,
    restarts: { gateway: gateway.restarts, projector: projector.restarts },
    crashes: [...gateway.crashes, ...projector.crashes, ...sim.crashes],
    sent: { all: sentAll, stats: sentStats, droppedByOutbox: summary.dropped ?? null },
    acked: { unacknowledgedAtExit: summary.unacknowledged ?? null },
    kafka: { stats, events },
    clickhouse: table,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  for (const [name, ok] of checks) log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
  await projector.stop();
  await gateway.stop();
  await broker.stopBroker(BROKER);
  if (smallDisk) execFileSync('umount', [chPath], { stdio: 'ignore' });
  process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
}

function projectionCounts(): string {
  return `SELECT
    (SELECT toString(count()) FROM container_stats) AS stats,
    (SELECT toString(uniqExact(agent_id, host, container_id, ts)) FROM container_stats) AS stats_distinct,
    (SELECT toString(sum(samples)) FROM container_stats_1m) AS rollup_samples,
    (SELECT toString(count()) FROM container_events) AS events,
    (SELECT toString(uniqExact(agent_id, host, actor_id, event_type, action, ts)) FROM container_events) AS events_distinct`;
}

main().catch(async (error: Error) => {
  process.stderr.write(`soak: ${error.stack ?? error.message}\n`);
  await Promise.all([sim.kill(), projector.kill(), gateway.kill()]);
  await broker.stopBroker(BROKER).catch(() => undefined);
  try {
    execFileSync('umount', [chPath], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  process.exit(1);
});
