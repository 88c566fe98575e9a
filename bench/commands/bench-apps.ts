import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kafkaClient as sharedKafkaClient, provideKafka as provideBenchKafka } from '../support/bench-kafka';
import { startBuiltApp as startApp } from '../support/built-app';

/** This file runs compiled, from dist/bench/commands. */
export const REPO_ROOT = resolve(__dirname, '../../..');
export const LOG_DIR = join(REPO_ROOT, '.cache/bench-commands');

export { freePort, waitReady } from '../support/built-app';
export type { BenchApp } from '../support/built-app';
export type { BenchKafka } from '../support/bench-kafka';

export const kafkaClient = (brokers: string, clientId = 'bench-commands') =>
  sharedKafkaClient(brokers, clientId);

/** KAFKA_BROKERS when set, otherwise a fresh broker on `port` (bench/support/bench-kafka.ts). */
export const provideKafka = (port: number) => provideBenchKafka(port, 'commands');

/** Starts an app from the built output; its output goes to .cache/bench-commands/<name>.log. */
export const startBuiltApp = (name: string, entry: string, env: Record<string, string>) =>
  startApp(name, entry, env, { logDir: LOG_DIR });

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
