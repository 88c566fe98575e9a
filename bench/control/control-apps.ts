import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** This file runs compiled, from dist/bench/control. */
export const REPO_ROOT = resolve(__dirname, '../../..');
const LOG_DIR = join(REPO_ROOT, '.cache/bench-control');

/** Types of deploy/kafka/kafka-broker.js, which is plain JS so that it runs before anything is built. */
interface BrokerModule {
  startBroker(opts: {
    port: number;
    dataDir: string;
  }): Promise<{ brokers: string; stop(): Promise<unknown> }>;
}

export interface BenchKafka {
  brokers: string;
  /** Whether this run started (and so owns) the broker. */
  started: boolean;
  release(): Promise<void>;
}

/**
 * KAFKA_BROKERS when set (the run's topics carry a prefix of their own), otherwise a fresh
 * single-node broker on `port`, stopped by `release`.
 */
export async function provideKafka(port: number): Promise<BenchKafka> {
  const shared = process.env.KAFKA_BROKERS;
  if (shared) return { brokers: shared, started: false, release: async () => undefined };
  const dataDir = join(REPO_ROOT, `.cache/kafka/bench-control-${port}`);
  rmSync(dataDir, { recursive: true, force: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(join(REPO_ROOT, 'deploy/kafka/kafka-broker.js')) as BrokerModule;
  const broker = await module.startBroker({ port, dataDir });
  return {
    brokers: broker.brokers,
    started: true,
    release: async () => {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

export interface BenchApp {
  name: string;
  child: ChildProcess;
  /** Where its output goes: .cache/bench-control/<name>.log */
  log: string;
  stop(): Promise<void>;
}

/** Starts an app from the built output in its own process, as `npm run start:<app>` does. */
export function startBuiltApp(name: string, entry: string, env: Record<string, string>): BenchApp {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = join(LOG_DIR, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', entry)], {
    env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    name,
    child,
    log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200; fails early when the app exits. */
export async function waitReady(app: BenchApp, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null)
      throw new Error(`${app.name} exited (${app.child.exitCode}); see ${app.log}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${app.name}: ${url} not ready after ${timeoutMs} ms; see ${app.log}`);
}

/** The sum of a metric's series on an ops /metrics page. */
export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const pattern = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm');
  return [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
