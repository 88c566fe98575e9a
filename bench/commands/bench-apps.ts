import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/** This file runs compiled, from dist/bench/commands. */
export const REPO_ROOT = resolve(__dirname, '../../..');
export const LOG_DIR = join(REPO_ROOT, '.cache/bench-commands');

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
  /** Stops our broker (and wipes its data), or deletes this run's topics from a shared one. */
  release(topicPrefix: string): Promise<void>;
}

export function kafkaClient(brokers: string, clientId = 'bench-commands'): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** KAFKA_BROKERS when set (the run's topics carry a prefix of their own), otherwise a fresh broker on `port`. */
export async function provideKafka(port: number): Promise<BenchKafka> {
  const shared = process.env.KAFKA_BROKERS;
  if (shared) return { brokers: shared, started: false, release: (prefix) => deleteTopics(shared, prefix) };
  const dataDir = join(REPO_ROOT, `.cache/kafka/bench-commands-${port}`);
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

async function deleteTopics(brokers: string, prefix: string): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch (error) {
    process.stderr.write(`could not delete the bench topics ${prefix}*: ${(error as Error).message}\n`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
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
  /** Where its output goes: .cache/bench-commands/<name>.log */
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
    await sleep(200);
  }
  throw new Error(`${app.name}: ${url} not ready after ${timeoutMs} ms; see ${app.log}`);
}

/** The series of a metric on an ops /metrics page, by their label text (`` for none). */
export async function metricSeries(port: number, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const pattern = new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.e+-]+)$`, 'gm');
  return new Map([...text.matchAll(pattern)].map((m) => [m[1] ?? '', Number(m[2])]));
}

export async function metricSum(port: number, name: string): Promise<number> {
  return [...(await metricSeries(port, name)).values()].reduce((a, b) => a + b, 0);
}

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on

/** utime + stime of a process in seconds, or NaN once it is gone (or off Linux). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The whole machine over an interval: CPU busy (all cores, in cores) and CPU pressure (share of time some task waited). */
export class MachineMeter {
  private readonly start = machineSample();
  private readonly startedAt = Date.now();

  read(): { busyCores: number; pressurePercent: number } {
    const now = machineSample();
    const elapsedMs = Date.now() - this.startedAt;
    return {
      busyCores: (now.busyMs - this.start.busyMs) / elapsedMs,
      pressurePercent: ((now.stallUs - this.start.stallUs) / 1000 / elapsedMs) * 100,
    };
  }
}

function machineSample(): { busyMs: number; stallUs: number } {
  let busyMs = NaN;
  let stallUs = NaN;
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + cpu[4]; // idle + iowait
    busyMs = ((cpu.slice(0, 8).reduce((a, b) => a + b, 0) - idle) * 1000) / TICKS_PER_SECOND;
  } catch {
    // not Linux
  }
  try {
    const some = /some .*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    if (some) stallUs = Number(some[1]);
  } catch {
    // no PSI
  }
  return { busyMs, stallUs };
}
