import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startBuiltApp as startApp } from '../support/built-app';

/** This file runs compiled, from dist/bench/control. */
export const REPO_ROOT = resolve(__dirname, '../../..');
const LOG_DIR = join(REPO_ROOT, '.cache/bench-control');

export { freePort, waitReady } from '../support/built-app';
export type { BenchApp } from '../support/built-app';

/** Starts an app from the built output; its output goes to .cache/bench-control/<name>.log. */
export const startBuiltApp = (name: string, entry: string, env: Record<string, string>) =>
  startApp(name, entry, env, { logDir: LOG_DIR });

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
