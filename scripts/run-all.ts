import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * The all-in-one demo: a local Kafka broker (unless KAFKA_BROKERS is set), the gateway, the
 * control API (agent keys, fleet view), the projector (owner of the embedded ClickHouse, serving
 * read-only SQL), and a simulated agent fleet, each app in its own process as in production.
 * Ctrl-C stops everything.
 *
 * The secrets a real deployment must provide (the key-hashing secret, an SQL token, a control API
 * token, agent keys) are generated once into .cache/demo/ (mode 0600) and kept, so that agent ids
 * and tokens stay the same from one run to the next.
 */
const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist');
const DEMO_DIR = join(ROOT, '.cache/demo');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const alertmanager = require(join(ROOT, 'deploy/alertmanager/alertmanager.js')) as {
  provision(): Promise<{ binary: string; version: string }>;
  startAlertmanager(o: { port?: number; fast?: boolean }): Promise<{ url: string; stop(): Promise<void> }>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require(join(ROOT, 'deploy/kafka/kafka-broker.js')) as {
  startBroker(o: object): Promise<{ brokers: string }>;
  stopBroker(o: object): Promise<unknown>;
};

const children: ChildProcess[] = [];
let startedBroker = false;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** `length` characters drawn uniformly from [A-Za-z0-9]: 32 of them carry 190 bits. */
function randomAlphanumeric(length: number): string {
  return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
}

/** Owner-only, also for a file an older run created with looser permissions. */
function writePrivate(file: string, content: string): void {
  mkdirSync(DEMO_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The secret kept in .cache/demo/<name>, made anew when missing or not of the expected form. */
function demoSecret(name: string, pattern: RegExp, make: () => string): { value: string; file: string } {
  const file = join(DEMO_DIR, name);
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (pattern.test(kept)) {
    chmodSync(file, 0o600);
    return { value: kept, file };
  }
  const value = make();
  writePrivate(file, `${value}\n`);
  return { value, file };
}

const AGENT_KEY = /^ak_[A-Za-z0-9]{32}$/;

/** Keys of the demo agents; entries of an older, weaker form are replaced (those agents get new ids). */
function demoKeys(count: number): string[] {
  const file = join(DEMO_DIR, 'agent-keys.txt');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const keys = lines.filter((l) => AGENT_KEY.test(l));
  const replaced = lines.filter((l) => l.startsWith('ak_') && !AGENT_KEY.test(l)).length;
  if (replaced > 0) process.stdout.write(`replacing ${replaced} demo agent keys of an older format\n`);
  while (keys.length < count) keys.push(`ak_${randomAlphanumeric(32)}`);
  writePrivate(file, `# demo agent keys (tenant "default"), created by npm start\n${keys.join('\n')}\n`);
  return keys.slice(0, count);
}

/** Where to reach an ops endpoint that listens on `host` (a wildcard address answers on loopback). */
function opsUrl(host: string | undefined, port: string): string {
  const reachable = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
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
let startedAlertmanager: { url: string; stop(): Promise<void> } | undefined;

/** Alertmanager for the demo's alerts (Debian's prometheus-alertmanager, installed if missing); the demo runs on without it. */
async function demoAlertmanager(): Promise<string | undefined> {
  if (process.env.ALERTER_ALERTMANAGER_URL) return process.env.ALERTER_ALERTMANAGER_URL;
  try {
    await alertmanager.provision();
    startedAlertmanager = await alertmanager.startAlertmanager({
      port: Number(process.env.ALERTMANAGER_PORT ?? 9095),
      fast: false,
    });
    return startedAlertmanager.url;
  } catch (error) {
    process.stdout.write(
      `Alertmanager not started (${(error as Error).message}); alerts go to the alerts topic only\n`,
    );
    return undefined;
  }
}
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  const exited = children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))));
  children.reverse().forEach((c) => c.kill('SIGTERM'));
  await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 20_000))]);
  await startedAlertmanager?.stop().catch(() => undefined);
  if (startedBroker) await broker.stopBroker({});
  process.exit(code);
}

async function main(): Promise<void> {
  // SIGHUP too: a closed terminal must not leave the broker (a detached process) running. Output
  // may have nowhere to go by then; the shutdown goes on regardless.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    process.stdout.write('starting a local Kafka broker (first run downloads it from Maven Central)…\n');
    brokers = (await broker.startBroker({})).brokers;
    startedBroker = true;
  }
  const agents = Number(process.env.SIM_AGENTS ?? 20);
  const keys = demoKeys(agents);
  const secret = process.env.AUTH_HASH_SECRET
    ? { value: process.env.AUTH_HASH_SECRET, file: undefined }
    : demoSecret('auth-hash-secret', /^[0-9a-f]{64}$/, () => randomBytes(32).toString('hex'));
  const ownSqlTokens = Boolean(process.env.PROJECTOR_SQL_TOKENS || process.env.PROJECTOR_SQL_TOKENS_FILE);
  const sqlToken = ownSqlTokens
    ? undefined
    : demoSecret('sql-token', /^sql_[A-Za-z0-9]{32}$/, () => `sql_${randomAlphanumeric(32)}`);
  const ownApiTokens = Boolean(process.env.CONTROL_API_TOKENS || process.env.CONTROL_API_TOKENS_FILE);
  const apiToken = ownApiTokens
    ? undefined
    : demoSecret('control-api-token', /^ctl_[A-Za-z0-9]{32}$/, () => `ctl_${randomAlphanumeric(32)}`);

  const gatewayOps = opsUrl(process.env.GATEWAY_HTTP_HOST, process.env.GATEWAY_HTTP_PORT ?? '8081');
  startApp('gateway', 'apps/gateway/src/main.js', {
    KAFKA_BROKERS: brokers,
    AGENT_KEYS_FILE: process.env.AGENT_KEYS_FILE ?? join(DEMO_DIR, 'agent-keys.txt'),
    AUTH_HASH_SECRET: secret.value,
  });
  await waitReady(`${gatewayOps}/readyz`, 90_000);
  const controlApi = opsUrl(process.env.CONTROL_API_HOST, process.env.CONTROL_API_PORT ?? '8083');
  startApp('control-api', 'apps/control-api/src/main.js', {
    KAFKA_BROKERS: brokers,
    AUTH_HASH_SECRET: secret.value,
    ...(apiToken ? { CONTROL_API_TOKENS: `*:${apiToken.value}` } : {}),
  });
  await waitReady(`${controlApi}/readyz`, 90_000);
  const projectorOps = opsUrl(process.env.PROJECTOR_HTTP_HOST, process.env.PROJECTOR_HTTP_PORT ?? '8082');
  startApp('projector', 'apps/projector/src/main.js', {
    KAFKA_BROKERS: brokers,
    CLICKHOUSE_PATH: process.env.CLICKHOUSE_PATH ?? join(ROOT, 'data/clickhouse'),
    AUTH_HASH_SECRET: secret.value,
    ...(sqlToken ? { PROJECTOR_SQL_TOKENS: `*:${sqlToken.value}` } : {}),
  });
  await waitReady(`${projectorOps}/readyz`, 90_000);
  const alertmanagerUrl = await demoAlertmanager();
  const alerterOps = opsUrl(process.env.ALERTER_HTTP_HOST, process.env.ALERTER_HTTP_PORT ?? '8084');
  startApp('alerter', 'apps/alerter/src/main.js', {
    KAFKA_BROKERS: brokers,
    ALERTER_RULES_FILE: process.env.ALERTER_RULES_FILE ?? join(ROOT, 'deploy/alerter/rules.yaml'),
    ...(alertmanagerUrl ? { ALERTER_ALERTMANAGER_URL: alertmanagerUrl } : {}),
  });
  await waitReady(`${alerterOps}/readyz`, 90_000);
  startApp('agent-sim', 'apps/agent-sim/src/main.js', {
    SIM_AGENT_KEYS: keys.join(','),
    AUTH_HASH_SECRET: secret.value,
  });
  const simOps = opsUrl(process.env.SIM_HTTP_HOST, process.env.SIM_HTTP_PORT ?? '8090');
  // Ready once its first agent is registered: the banner comes after the start-up lines.
  await waitReady(`${simOps}/readyz`, 90_000);
  const shown = (file: string) => relative(process.cwd(), file) || file;
  process.stdout.write(
    [
      '',
      `system running: Kafka ${brokers}, gateway gRPC :${process.env.GATEWAY_GRPC_PORT ?? 50051}, ${agents} simulated agents`,
      `  gateway ops: ${gatewayOps}/metrics  /readyz  /healthz`,
      `  projector ops: ${projectorOps}/metrics   SQL: npm run sql -- "SELECT count() FROM containeragent.container_stats"`,
      sqlToken
        ? `    SQL operator token (sees every tenant): ${shown(sqlToken.file)} (npm run sql reads it; or set SQL_TOKEN)`
        : '    SQL tokens: yours, from PROJECTOR_SQL_TOKENS(_FILE); npm run sql sends SQL_TOKEN',
      `  control API: ${controlApi}/v1/agent-keys  /v1/agents   reference: ${controlApi}/docs  ${controlApi}/openapi.json`,
      apiToken
        ? `    operator token (every tenant): ${shown(apiToken.file)}   curl -H "Authorization: Bearer $(cat ${shown(apiToken.file)})" ${controlApi}/v1/agents`
        : '    control API tokens: yours, from CONTROL_API_TOKENS(_FILE)',
      `  alerter ops: ${alerterOps}/metrics   rules: ${shown(process.env.ALERTER_RULES_FILE ?? join(ROOT, 'deploy/alerter/rules.yaml'))}   alerts: ${controlApi}/v1/alerts?state=firing`,
      alertmanagerUrl
        ? `  Alertmanager: ${alertmanagerUrl} (its UI lists the firing alerts)`
        : '  Alertmanager: not running',
      `  agent-sim ops: ${simOps}/metrics`,
      `  demo secrets (mode 0600): ${shown(DEMO_DIR)}/ agent-keys.txt${secret.file ? ', auth-hash-secret' : ''}${sqlToken ? ', sql-token' : ''}${apiToken ? ', control-api-token' : ''}`,
      '  Ctrl-C stops everything',
      '',
    ].join('\n'),
  );
}

main().catch((error: Error) => {
  process.stderr.write(`run-all: ${error.message}\n`);
  void shutdown(1);
});
