import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { agentpb, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { agentClient, bearer, register, statsMessage, streamMessages } from '../support/agent-client';
import { uncommittedRecords } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import {
  eventually,
  projectionGroupId,
  sql,
  startTestProjector,
  tempClickHousePath,
  TEST_AUTH_HASH_SECRET,
  TEST_SQL_TOKEN,
} from '../support/test-projector';

const DB = 'containeragent';
const MESSAGES = 600;
const startedAt = Date.now();
const ROWS = MESSAGES * 20;
const ROOT = join(__dirname, '../..');

/** What a data team would see: if any row were lost or doubled, one of these would differ. */
const FINGERPRINT = `SELECT count() AS rows, uniqExact(message_id, container_id) AS distinct_rows,
  toString(sum(cityHash64(message_id, container_id, cpu_percent, network_rx))) AS hash,
  (SELECT toString(sum(samples)) FROM ${DB}.container_stats_1m) AS rollup_samples,
  (SELECT count() FROM ${DB}.container_events) AS events
FROM ${DB}.container_stats`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Pids of a process's direct children (`ps` lists them alike on Linux and macOS). */
function childPids(pid: number): number[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, parent]) => parent === pid)
    .map(([child]) => child);
}

/** Whether a process still runs; an exited one its parent has not reaped yet (a zombie) does not. */
function isRunning(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return false; // ps exits with 1 when there is no such process
  }
}

function spawnProjector(env: Record<string, string>): ChildProcess {
  return spawn(
    process.execPath,
    ['--require', process.env.TS_WORKER_REGISTER!, join(ROOT, 'apps/projector/src/main.ts')],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'error',
        AUTH_HASH_SECRET: TEST_AUTH_HASH_SECRET,
        PROJECTOR_SQL_TOKENS: `*:${TEST_SQL_TOKEN}`,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

describe('projector: effectively once', () => {
  const prefix = uniqueTopicPrefix();
  let gateway: RunningGateway;
  let expected: Record<string, unknown>;

  beforeAll(async () => {
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    const client = agentClient(gateway.grpcPort);
    await register(client, bearer(KEY.alpha), { agentKey: KEY.alpha });
    const messages: Partial<agentpb.AgentMessage>[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      // Distinct sample times: the projector stores one row per container and sample time.
      messages.push(statsMessage(KEY.alpha, `host-${i % 7}`, i, String(startedAt + i)));
      if (i % 50 === 0) {
        messages.push({
          agentKey: KEY.alpha,
          type: agentpb.DataType.CONTAINER_EVENT,
          host: 'host-0',
          timestamp: String(Date.now()),
          eventData: {
            type: 'container',
            action: 'restart',
            actorId: `c${i}`,
            actorName: 'n',
            timestamp: '0',
            attrs: {},
          },
        });
      }
    }
    const result = await streamMessages(client, bearer(KEY.alpha), messages);
    expect(Math.max(...result.acks)).toBe(messages.length);
    client.close();
  });

  afterAll(async () => gateway?.close());

  it('one clean pass stores every row once', async () => {
    const projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_GROUP_PREFIX: 'clean',
    });
    try {
      expected = await eventually(async () => {
        const [result] = await sql(projector.httpPort, FINGERPRINT);
        expect(result).toMatchObject({
          rows: String(ROWS),
          distinct_rows: String(ROWS),
          rollup_samples: String(ROWS),
          events: '12',
        });
        return result;
      }, 60_000);
    } finally {
      await projector.close();
    }
  });

  it('replaying the topics from offset 0 into an empty database gives the same results', async () => {
    const projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_GROUP_PREFIX: 'replay',
      PROJECTOR_BATCH_ROWS: '37',
    });
    try {
      await eventually(
        async () => expect((await sql(projector.httpPort, FINGERPRINT))[0]).toEqual(expected),
        60_000,
      );
    } finally {
      await projector.close();
    }
  });

  it('a projector killed with SIGKILL mid-stream and restarted gives the same results', async () => {
    const path = tempClickHousePath();
    const port = await freePort();
    const env = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: path,
      PROJECTOR_GROUP_PREFIX: 'killed',
      PROJECTOR_HTTP_PORT: String(port),
      PROJECTOR_BATCH_ROWS: '25',
      PROJECTOR_BATCH_MAX_MS: '20',
    };
    const rows = async () =>
      Number((await sql<{ n: string }>(port, `SELECT count() AS n FROM ${DB}.container_stats`))[0].n);

    const first = spawnProjector(env);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    const partial = await eventually(async () => {
      const n = await rows();
      expect(n).toBeGreaterThan(0);
      return n;
    }, 60_000);
    const clickHouse = childPids(first.pid!);
    expect(clickHouse.length).toBeGreaterThan(0);
    first.kill('SIGKILL');
    await exited;
    expect(partial).toBeLessThan(ROWS);
    // Its ClickHouse process notices the broken channel and exits, freeing the data folder.
    await eventually(async () => expect(clickHouse.filter(isRunning)).toEqual([]));

    const second = spawnProjector(env);
    try {
      await eventually(async () => expect((await sql(port, FINGERPRINT))[0]).toEqual(expected), 90_000);
      // Once both topics are committed (only what was stored is), no row can follow.
      for (const projection of ['stats', 'events'] as const) {
        const group = projectionGroupId(prefix, projection, 'killed');
        await eventually(async () =>
          expect(await uncommittedRecords(group, topicsFor(prefix)[projection])).toBe(0),
        );
      }
      expect((await sql(port, FINGERPRINT))[0]).toEqual(expected);
    } finally {
      const done = new Promise((resolve) => second.once('exit', resolve));
      second.kill('SIGTERM');
      await done;
    }
  });
});
