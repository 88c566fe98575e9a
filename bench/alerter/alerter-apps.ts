import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BenchApp, BenchKafka, kafkaClient } from '../commands/bench-apps';

/** This file runs compiled, from dist/bench/alerter. */
export const REPO_ROOT = resolve(__dirname, '../../..');
export const LOG_DIR = join(REPO_ROOT, '.cache/bench-alerter');

/** Types of deploy/kafka/kafka-broker.js (plain JS, so that it runs before anything is built). */
interface BrokerModule {
  startBroker(opts: {
    port: number;
    dataDir: string;
  }): Promise<{ brokers: string; stop(): Promise<unknown> }>;
}

/** KAFKA_BROKERS when set (the run's topics carry a prefix of their own), otherwise a fresh broker on `port`. */
export async function provideKafka(port: number): Promise<BenchKafka> {
  const shared = process.env.KAFKA_BROKERS;
  if (shared) return { brokers: shared, started: false, release: (prefix) => deleteTopics(shared, prefix) };
  const dataDir = join(REPO_ROOT, `.cache/kafka/bench-alerter-${port}`);
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
  const admin = kafkaClient(brokers, 'bench-alerter').admin();
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

/**
 * Starts an app from the built output in its own process, as `npm run start:<app>` does; its
 * output goes to .cache/bench-alerter/<name>.log. `nodeArgs` (BENCH_ALERTER_NODE_ARGS, say
 * `--cpu-prof`) go before the entry.
 */
export function startBuiltApp(
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): BenchApp {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = join(LOG_DIR, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'dist', entry)], {
    cwd: LOG_DIR,
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

/** Resident memory of a process in MiB (VmRSS), or NaN once it is gone. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kib ? Number(kib[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
