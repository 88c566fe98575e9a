import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { provideKafka as provideBenchKafka } from '../support/bench-kafka';
import { startBuiltApp as startApp } from '../support/built-app';

/** This file runs compiled, from dist/bench/alerter. */
export const REPO_ROOT = resolve(__dirname, '../../..');
export const LOG_DIR = join(REPO_ROOT, '.cache/bench-alerter');

/** KAFKA_BROKERS when set, otherwise a fresh broker on `port` (bench/support/bench-kafka.ts). */
export const provideKafka = (port: number) => provideBenchKafka(port, 'alerter');

/**
 * Starts an app from the built output, running in .cache/bench-alerter where its <name>.log goes.
 * `nodeArgs` (BENCH_ALERTER_NODE_ARGS, say `--cpu-prof`) go before the entry.
 */
export const startBuiltApp = (
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
) => startApp(name, entry, env, { logDir: LOG_DIR, nodeArgs, cwdInLogDir: true });

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
