import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { agentpb, HEADER, SCHEMA, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import type { RunningProjector } from '../../apps/projector/src/projector.app';
import { ClickHouseWorkerClient } from '../../apps/projector/src/worker/clickhouse-worker.client';
import { agentClient, bearer, Client, register, statsMessage } from '../support/agent-client';
import { testKafka } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import {
  eventually,
  sql,
  startTestProjector,
  tempClickHousePath,
  TEST_AUTH_HASH_SECRET,
  TEST_SQL_TOKEN,
} from '../support/test-projector';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require('../../deploy/kafka/kafka-broker.js') as typeof import('../support/kafka-broker');

const DB = 'containeragent';
const ROOT = join(__dirname, '../..');
const ROWS_PER_MESSAGE = 20;

const readyz = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;

/** Rows, distinct rows and rollup samples of `container_stats`: equal counts mean none lost or doubled. */
async function statsTotals(port: number, where = '1') {
  const [row] = await sql<{ rows: string; distinct_rows: string; samples: string }>(
    port,
    `SELECT count() AS rows, uniqExact(message_id, container_id) AS distinct_rows,
       (SELECT toString(sum(samples)) FROM ${DB}.container_stats_1m WHERE ${where}) AS samples
     FROM ${DB}.container_stats WHERE ${where}`,
  );
  return { rows: Number(row.rows), distinct: Number(row.distinct_rows), samples: Number(row.samples) };
}

/** `projector_consumer_lag` series as `projection/partition` → value. */
async function lagSeries(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const series = new Map<string, number>();
  for (const [, labels, value] of text.matchAll(/^projector_consumer_lag\{([^}]*)\} (\d+)$/gm)) {
    const projection = /projection="([^"]+)"/.exec(labels)?.[1];
    const partition = /partition="([^"]+)"/.exec(labels)?.[1];
    series.set(`${projection}/${partition}`, Number(value));
  }
  return series;
}

const lagOf = (series: Map<string, number>, projection: string) =>
  [...series].filter(([key]) => key.startsWith(`${projection}/`)).reduce((n, [, v]) => n + v, 0);

/** Stats records as the gateway publishes them, written straight to the topic. */
async function produceStats(topic: string, host: string, from: number, count: number, brokers?: string) {
  const producer = testKafka(brokers).producer({ idempotent: true });
  await producer.connect();
  try {
    for (let start = from; start < from + count; start += 500) {
      const messages = Array.from({ length: Math.min(500, from + count - start) }, (_, j) => {
        const i = start + j;
        const message = agentpb.AgentMessage.fromPartial({
          ...statsMessage('', `${host}-${i % 8}`, i),
          agentKey: '',
        });
        return {
          key: `agent-sup/${host}-${i % 8}`,
          value: Buffer.from(agentpb.AgentMessage.encode(message).finish()),
          headers: {
            [HEADER.tenantId]: 'default',
            [HEADER.agentId]: 'agent-sup',
            [HEADER.messageId]: `${host}-${i}`,
            [HEADER.receivedAt]: String(Date.now()),
            [HEADER.schema]: SCHEMA.agentMessage,
          },
        };
      });
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** An agent streaming `count` stats messages, one every `everyMs`; resolves with the last ACK. */
function pacedStream(client: Client, host: string, count: number, everyMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = client.dataStream(bearer(KEY.alpha));
    let acked = 0;
    call.on('data', (m: agentpb.ServerMessage) => {
      if (m.command === agentpb.CommandType.ACK) acked = Math.max(acked, Number(m.ackedCount));
    });
    call.on('error', () => undefined);
    call.on('status', (s: { code: number; details: string }) =>
      s.code === 0 ? resolve(acked) : reject(new Error(`stream ended ${s.code}: ${s.details}`)),
    );
    let sent = 0;
    const timer = setInterval(() => {
      call.write(agentpb.AgentMessage.fromPartial(statsMessage(KEY.alpha, host, sent++)));
      if (sent === count) {
        clearInterval(timer);
        call.end();
      }
    }, everyMs);
  });
}

describe('projector supervision: its ClickHouse process', () => {
  const prefix = uniqueTopicPrefix();
  let gateway: RunningGateway;
  let projector: RunningProjector;
  let client: Client;

  beforeAll(async () => {
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_PROJECTIONS: 'stats',
      PROJECTOR_BATCH_ROWS: '20',
      PROJECTOR_BATCH_MAX_MS: '20',
      // Long enough for the test to see the projector unready while its engine is down.
      PROJECTOR_WORKER_RESTART_MIN_MS: '1500',
    });
    client = agentClient(gateway.grpcPort);
    await register(client, bearer(KEY.alpha), { agentKey: KEY.alpha });
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
    await projector?.close();
  });

  it('restarts a SIGKILLed ClickHouse process, is unready meanwhile, and stores every row once', async () => {
    const worker = projector.app.get(ClickHouseWorkerClient);
    const messages = 1500;
    const host = 'kill-host';
    const streamed = pacedStream(client, host, messages, 4);
    await eventually(async () => expect((await statsTotals(projector.httpPort)).rows).toBeGreaterThan(0));
    expect(await readyz(projector.httpPort)).toBe(200);
    const killed = worker.pid!;
    process.kill(killed, 'SIGKILL');

    await eventually(async () => expect(await readyz(projector.httpPort)).toBe(503), 5000);
    const query = await fetch(`http://127.0.0.1:${projector.httpPort}/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_SQL_TOKEN}` },
      body: 'SELECT 1',
    });
    expect(query.status).toBe(503);
    await eventually(async () => expect(await readyz(projector.httpPort)).toBe(200), 30_000);
    expect(worker.pid).toBeDefined();
    expect(worker.pid).not.toBe(killed);

    expect(await streamed).toBe(messages);
    const expected = messages * ROWS_PER_MESSAGE;
    await eventually(async () =>
      expect(await statsTotals(projector.httpPort, `host = '${host}'`)).toEqual({
        rows: expected,
        distinct: expected,
        samples: expected,
      }),
    );
  });
});

describe('projector supervision: lag and readiness from the broker and the inserts', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  let projector: RunningProjector;

  beforeAll(async () => {
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_PROJECTIONS: 'stats,events',
      PROJECTOR_LAG_INTERVAL_MS: '200',
      PROJECTOR_READY_MAX_FAILING_MS: '2000',
    });
    await eventually(async () => expect(await readyz(projector.httpPort)).toBe(200));
  });

  afterAll(async () => {
    await projector?.close();
  });

  it('reports the backlog per projection and partition while behind, 0 once caught up', async () => {
    const worker = projector.app.get(ClickHouseWorkerClient);
    // Inserts fail until the table is back: the whole backlog stays uncommitted.
    await worker.maintenance(`RENAME TABLE ${DB}.container_stats TO ${DB}.container_stats_away`);
    const backlog = 3000;
    try {
      await produceStats(topics.stats, 'lag-host', 0, backlog);
      const admin = testKafka().admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topics.stats).finally(() => admin.disconnect());
      await eventually(async () => {
        const series = await lagSeries(projector.httpPort);
        expect(lagOf(series, 'stats')).toBe(backlog);
        // One series per projection and partition: the topics no longer overwrite each other.
        expect([...series.keys()].sort()).toEqual([
          'events/0',
          'events/1',
          'events/2',
          'stats/0',
          'stats/1',
          'stats/2',
        ]);
        expect(lagOf(series, 'events')).toBe(0);
        // Nothing is committed yet: each partition's lag is its high watermark.
        for (const { partition, high } of ends) expect(series.get(`stats/${partition}`)).toBe(Number(high));
      });
      // Inserts failing for longer than PROJECTOR_READY_MAX_FAILING_MS: unready, and why.
      await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${projector.httpPort}/readyz`);
        expect(response.status).toBe(503);
        expect(JSON.stringify(await response.json())).toMatch(/stats inserts failing for \d+ s/);
      });
    } finally {
      await worker.maintenance(`RENAME TABLE ${DB}.container_stats_away TO ${DB}.container_stats`);
    }

    const seen: number[] = [];
    await eventually(async () => {
      const lag = lagOf(await lagSeries(projector.httpPort), 'stats');
      seen.push(lag);
      expect(lag).toBe(0);
    });
    expect(seen.every((lag) => lag <= backlog)).toBe(true);
    expect(await readyz(projector.httpPort)).toBe(200);
    const expected = backlog * ROWS_PER_MESSAGE;
    expect(await statsTotals(projector.httpPort)).toEqual({
      rows: expected,
      distinct: expected,
      samples: expected,
    });
    // Still 0 a few refreshes later (PROJECTOR_LAG_INTERVAL_MS is 200): caught up is a steady state.
    await new Promise((r) => setTimeout(r, 1000));
    expect(lagOf(await lagSeries(projector.httpPort), 'stats')).toBe(0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A projector in its own process, started as in production (main.ts, runMain), its log collected. */
interface ProjectorProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<number | null>;
  /** SIGKILLs it unless it already exited. */
  kill(): Promise<void>;
}

async function spawnProjector(env: Record<string, string>): Promise<ProjectorProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--require', process.env.TS_WORKER_REGISTER!, join(ROOT, 'apps/projector/src/main.ts')],
    {
      env: {
        ...process.env,
        CLICKHOUSE_PATH: tempClickHousePath(),
        PROJECTOR_PROJECTIONS: 'stats',
        PROJECTOR_HTTP_PORT: String(port),
        AUTH_HASH_SECRET: TEST_AUTH_HASH_SECRET,
        PROJECTOR_SQL_TOKENS: `*:${TEST_SQL_TOKEN}`,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    port,
    output: () => output,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Pids of a process's direct children. */
function childPids(pid: number): number[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, parent]) => parent === pid)
    .map(([child]) => child);
}

describe('projector supervision: a ClickHouse process that cannot be restarted, or is down at shutdown', () => {
  let projector: ProjectorProcess | undefined;
  afterEach(() => projector?.kill());

  it('exits 1 after its restarts failed, without claiming anything was stored', async () => {
    const path = tempClickHousePath();
    projector = await spawnProjector({
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      CLICKHOUSE_PATH: path,
      PROJECTOR_WORKER_RESTART_MIN_MS: '100',
      PROJECTOR_WORKER_MAX_RESTARTS: '2',
    });
    await eventually(async () => expect(await readyz(projector!.port)).toBe(200), 60_000);
    const [worker] = childPids(projector.child.pid!);
    expect(worker).toBeDefined();
    // Its data folder is gone and a file is in its way: no new ClickHouse process can start.
    renameSync(path, `${path}.away`);
    writeFileSync(path, 'not a directory');
    process.kill(worker, 'SIGKILL');

    expect(await projector.exited).toBe(1);
    const output = projector.output();
    expect(output).toMatch(/ClickHouse worker cannot be kept running: 3 crashes within 60000 ms/);
    expect(output).toMatch(/projector stopped: gave up: ClickHouse worker cannot be kept running/);
    expect(output).not.toMatch(/stored and its offset committed|stored and committed/);
  });

  it('on SIGTERM while its ClickHouse process is down, says what it did not store and exits 1', async () => {
    const prefix = uniqueTopicPrefix();
    const stopping = await spawnProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      // Down for the rest of the test once killed.
      PROJECTOR_WORKER_RESTART_MIN_MS: '600000',
    });
    projector = stopping;
    await eventually(async () => expect(await readyz(stopping.port)).toBe(200), 60_000);
    process.kill(childPids(stopping.child.pid!)[0], 'SIGKILL');
    await eventually(async () => expect(await readyz(stopping.port)).toBe(503));
    await produceStats(topicsFor(prefix).stats, 'unstored-host', 0, 100);
    await eventually(async () =>
      expect(stopping.output()).toMatch(/"stage":"store","err":"ClickHouse worker is not running/),
    );

    stopping.child.kill('SIGTERM');
    expect(await stopping.exited).toBe(1);
    expect(stopping.output()).toMatch(
      /projector stopped: 100 records read were not stored and committed \[stats 100 \(store: ClickHouse worker is not running \(restarting\)\)\]; they will be read again on the next start/,
    );
    expect(stopping.output()).not.toMatch(/stored and its offset committed|stored and committed"/);
  });
});

/** A broker of its own, killed and restarted under a projector running as its own process (runMain). */
describe('projector supervision: the broker killed while it consumes', () => {
  const PORT = 39292;
  const brokerOptions = {
    port: PORT,
    controllerPort: 39293,
    dataDir: join(ROOT, '.cache/kafka/supervision-test'),
  };
  const brokers = `127.0.0.1:${PORT}`;
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  let projector: ProjectorProcess | undefined;

  beforeAll(async () => {
    rmSync(brokerOptions.dataDir, { recursive: true, force: true });
    await broker.startBroker(brokerOptions);
  });

  afterAll(async () => {
    await projector?.kill();
    await broker.stopBroker(brokerOptions);
  });

  it('survives the broker being SIGKILLed and restarted, and stores every record once', async () => {
    projector = await spawnProjector({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      PROJECTOR_BATCH_ROWS: '50',
      PROJECTOR_BATCH_MAX_MS: '50',
      PROJECTOR_RETRY_MAX_MS: '1000',
    });
    const { child, port, output, exited } = projector;
    await eventually(async () => expect(await readyz(port)).toBe(200), 60_000);

    // `npm run test:faults` kills it 10 times; inside `npm test` 3 times, to keep the suite short.
    const rounds = Number(process.env.FAULT_BROKER_KILLS ?? 3);
    const perRound = 2000;
    for (let round = 0; round < rounds; round++) {
      await produceStats(topics.stats, 'outage-host', round * perRound, perRound, brokers);
      const before = (await statsTotals(port)).rows;
      // Kill it while the projector is in the middle of this round's records.
      await eventually(async () => expect((await statsTotals(port)).rows).toBeGreaterThan(before), 30_000);
      await broker.killBroker(brokerOptions);
      // The outage is the point: the projector's commits, fetches and heartbeats fail meanwhile.
      await new Promise((r) => setTimeout(r, 2000));
      expect(child.exitCode).toBeNull();
      await broker.startBroker(brokerOptions);
      expect(child.exitCode).toBeNull();
    }

    const messages = rounds * perRound;
    // Right after a restart the broker may still be electing leaders: ask until it answers.
    const records = await eventually(async () => {
      const admin = testKafka(brokers).admin();
      await admin.connect();
      try {
        return (await admin.fetchTopicOffsets(topics.stats)).reduce((n, p) => n + Number(p.high), 0);
      } finally {
        await admin.disconnect();
      }
    });
    // The test's producer wrote each message once, and every one becomes its rows once.
    expect(records).toBe(messages);
    const expected = messages * ROWS_PER_MESSAGE;
    await eventually(
      async () =>
        expect(await statsTotals(port)).toEqual({ rows: expected, distinct: expected, samples: expected }),
      90_000,
    );
    expect(child.exitCode).toBeNull();
    expect(output()).not.toMatch(/unhandled promise rejection|uncaught exception/i);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('projector stopped: every record read was stored and its offset committed');
  }, 900_000);
});
