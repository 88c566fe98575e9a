import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueTopicPrefix } from '../support/test-gateway';
import { eventually } from '../support/test-projector';

/**
 * What `npm run start:gateway`, `start:control-api`, `start:projector` and `start:agent-sim` do,
 * in four shells at the same moment: run the built output through scripts/run-built.js, which never builds. (When each
 * start rebuilt dist/, one of them could load a half-written tree and die.) Needs `npm run build`
 * first; `npm test` runs it.
 */
const ROOT = join(__dirname, '../..');
const LAUNCHER = join(ROOT, 'scripts/run-built.js');
const ENTRIES = {
  gateway: 'dist/apps/gateway/src/main.js',
  'control-api': 'dist/apps/control-api/src/main.js',
  projector: 'dist/apps/projector/src/main.js',
  'agent-sim': 'dist/apps/agent-sim/src/main.js',
} as const;
type AppName = keyof typeof ENTRIES;

interface LaunchedApp {
  name: AppName;
  child: ChildProcess;
  /** stdout lines, parsed: not a terminal, so the logs must be JSON. */
  logs: Record<string, unknown>[];
  /** stdout lines that were not JSON, and stderr. */
  other: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(name: AppName, env: Record<string, string>): LaunchedApp {
  const child = spawn(process.execPath, [LAUNCHER, ENTRIES[name]], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'auto', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const app: LaunchedApp = {
    name,
    child,
    logs: [],
    other: [],
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  lines(child.stdout, (line) => {
    try {
      app.logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      app.other.push(line);
    }
  });
  lines(child.stderr, (line) => app.other.push(line));
  return app;
}

function lines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    parts.filter(Boolean).forEach(each);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const alphanumeric = (n: number) =>
  Array.from(
    { length: n },
    () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[randomInt(62)],
  ).join('');

/** The port an app's ops HTTP listens on, from its 'ops http listening' log line (HTTP port 0). */
function httpPort(app: LaunchedApp): number {
  const line = app.logs.find((l) => l.msg === 'ops http listening');
  if (!line) throw new Error(`${app.name} has not logged its HTTP port yet`);
  expect(line).toMatchObject({ app: app.name, httpHost: '127.0.0.1' });
  return line.httpPort as number;
}

async function metric(port: number, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('the four apps started at the same moment from built output', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'start-built-'));
  const apps: LaunchedApp[] = [];

  beforeAll(() => {
    for (const entry of Object.values(ENTRIES)) {
      if (!existsSync(join(ROOT, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first`);
    }
  });

  afterAll(async () => {
    for (const app of apps)
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await Promise.all(apps.map((a) => a.exited));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the launcher refuses to start what was not built, and says how to build it', async () => {
    const child = spawn(process.execPath, [LAUNCHER, 'dist/apps/nothing/src/main.js'], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('npm run build');
    expect(stderr).toContain('npm start');
  });

  it('all become ready, agent data reaches ClickHouse, and SIGTERM stops each one cleanly', async () => {
    const grpcPort = await freePort();
    const keys = [`ak_${alphanumeric(32)}`, `ak_${alphanumeric(32)}`];
    const apiToken = `ctl_${alphanumeric(32)}`;
    const shared = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      AUTH_HASH_SECRET: randomBytes(32).toString('hex'),
    };
    apps.push(
      launch('gateway', {
        ...shared,
        GATEWAY_GRPC_HOST: '127.0.0.1',
        GATEWAY_GRPC_PORT: String(grpcPort),
        GATEWAY_HTTP_PORT: '0',
        AGENT_KEYS: keys.join(','),
      }),
      launch('control-api', {
        ...shared,
        CONTROL_API_PORT: '0',
        CONTROL_API_TOKENS: `*:${apiToken}`,
      }),
      launch('projector', {
        ...shared,
        PROJECTOR_HTTP_PORT: '0',
        CLICKHOUSE_PATH: join(dataDir, 'clickhouse'),
        PROJECTOR_BATCH_MAX_MS: '100',
        PROJECTOR_SQL_TOKENS: `*:sql_${alphanumeric(32)}`,
      }),
      launch('agent-sim', {
        ...shared,
        SIM_GATEWAY_ADDR: `127.0.0.1:${grpcPort}`,
        SIM_AGENT_KEYS: keys.join(','),
        SIM_HTTP_PORT: '0',
        SIM_CONTAINERS_PER_HOST: '3',
        SIM_STATS_INTERVAL_MS: '500',
      }),
    );
    const [gateway, control, projector, sim] = apps;
    const fail = (app: LaunchedApp) => () => {
      if (app.child.exitCode !== null) {
        throw new Error(`${app.name} exited (${app.child.exitCode}):\n${app.other.join('\n')}`);
      }
    };

    const ports = await eventually(async () => {
      apps.forEach((app) => fail(app)());
      return apps.map(httpPort);
    }, 90_000);
    await eventually(async () => {
      apps.forEach((app) => fail(app)());
      for (const port of ports) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    }, 120_000);

    const [gatewayHttp, controlHttp, projectorHttp, simHttp] = ports;
    await eventually(async () => {
      expect(await metric(simHttp, /^sim_messages_acked_total\{[^}]*\} (\d+)$/gm)).toBeGreaterThan(0);
      expect(
        await metric(gatewayHttp, /^gateway_messages_total\{outcome="[^"]*stats"[^}]*\} (\d+)$/gm),
      ).toBeGreaterThan(0);
      expect(
        await metric(projectorHttp, /^projector_rows_inserted_total\{projection="stats"[^}]*\} (\d+)$/gm),
      ).toBeGreaterThan(0);
    }, 60_000);
    // The fleet view of the control API sees the simulated agents (static keys) come online.
    await eventually(async () => {
      const answer = await fetch(`http://127.0.0.1:${controlHttp}/v1/agents?status=online`, {
        headers: { authorization: `Bearer ${apiToken}` },
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { items: unknown[] }).items).toHaveLength(keys.length);
    }, 30_000);

    apps.forEach((app) => app.child.kill('SIGTERM'));
    const exits = await Promise.all(apps.map((a) => a.exited));
    expect(exits).toEqual(apps.map(() => ({ code: 0, signal: null })));

    for (const app of [gateway, control, projector, sim]) {
      // A broker creating fresh topics answers "no leader" and "coordinator not available" for a
      // moment; kafkajs retries, and such answers must not read as errors.
      const errors = app.logs.filter((l) => l.level === 'error' || l.level === 'fatal');
      expect({ app: app.name, errors }).toEqual({ app: app.name, errors: [] });
      expect(app.logs.every((l) => l.app === app.name && typeof l.time === 'string')).toBe(true);
    }
  }, 240_000);
});
