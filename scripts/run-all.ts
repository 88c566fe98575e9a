import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The all-in-one demo: a local Kafka broker (unless KAFKA_BROKERS is set), the gateway, the
 * projector (owner of the embedded ClickHouse, serving read-only SQL), and a simulated agent
 * fleet, each app in its own process as in production. Ctrl-C stops everything.
 */
const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist');
const DEMO_DIR = join(ROOT, '.cache/demo');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require(join(ROOT, 'deploy/kafka/kafka-broker.js')) as {
  startBroker(o: object): Promise<{ brokers: string }>;
  stopBroker(o: object): Promise<unknown>;
};

const children: ChildProcess[] = [];
let startedBroker = false;

function demoKeys(count: number): string[] {
  const file = join(DEMO_DIR, 'agent-keys.txt');
  mkdirSync(DEMO_DIR, { recursive: true });
  const existing = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('ak_'))
    : [];
  while (existing.length < count) existing.push(`ak_demo${randomBytes(16).toString('hex')}`);
  writeFileSync(
    file,
    `# demo agent keys (tenant "default"), created by npm start\n${existing.join('\n')}\n`,
    { mode: 0o600 },
  );
  return existing.slice(0, count);
}

function startApp(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [join(DIST, entry)], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      process.stderr.write(`${name} exited (code ${code}, signal ${signal}); stopping everything\n`);
      void shutdown(1);
    }
  });
  children.push(child);
  return child;
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  const exited = children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))));
  children.reverse().forEach((c) => c.kill('SIGTERM'));
  await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 20_000))]);
  if (startedBroker) await broker.stopBroker({});
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    process.stdout.write('starting a local Kafka broker (first run downloads it from Maven Central)…\n');
    brokers = (await broker.startBroker({})).brokers;
    startedBroker = true;
  }
  const agents = Number(process.env.SIM_AGENTS ?? 20);
  const keys = demoKeys(agents);
  const gatewayHttp = process.env.GATEWAY_HTTP_PORT ?? '8081';
  startApp('gateway', 'apps/gateway/src/main.js', {
    KAFKA_BROKERS: brokers,
    AGENT_KEYS_FILE: process.env.AGENT_KEYS_FILE ?? join(DEMO_DIR, 'agent-keys.txt'),
  });
  await waitReady(`http://127.0.0.1:${gatewayHttp}/readyz`, 90_000);
  const projectorHttp = process.env.PROJECTOR_HTTP_PORT ?? '8082';
  startApp('projector', 'apps/projector/src/main.js', {
    KAFKA_BROKERS: brokers,
    CLICKHOUSE_PATH: process.env.CLICKHOUSE_PATH ?? join(ROOT, 'data/clickhouse'),
  });
  await waitReady(`http://127.0.0.1:${projectorHttp}/readyz`, 90_000);
  startApp('agent-sim', 'apps/agent-sim/src/main.js', { SIM_AGENT_KEYS: keys.join(',') });
  process.stdout.write(
    [
      '',
      `system running: Kafka ${brokers}, gateway gRPC :${process.env.GATEWAY_GRPC_PORT ?? 50051}, ${agents} simulated agents`,
      `  gateway ops: http://127.0.0.1:${gatewayHttp}/metrics  /readyz  /healthz`,
      `  projector ops: http://127.0.0.1:${projectorHttp}/metrics   SQL: npm run sql -- "SELECT count() FROM containeragent.container_stats"`,
      `  agent-sim ops: http://127.0.0.1:${process.env.SIM_HTTP_PORT ?? 8090}/metrics`,
      '  Ctrl-C stops everything',
      '',
    ].join('\n'),
  );
}

main().catch((error: Error) => {
  process.stderr.write(`run-all: ${error.message}\n`);
  void shutdown(1);
});
