/** CPU time of other processes from /proc (Linux): enough to tell which process is busy. */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on

/** utime + stime of a process in ms, or NaN once it is gone (or off Linux). */
export function cpuTimeMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Direct children of a process. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** CPU of some processes over an interval, in % of one core each. */
export class CpuMeter {
  private readonly start: number[];
  private readonly startedAt = performance.now();

  constructor(private readonly pids: number[]) {
    this.start = pids.map(cpuTimeMs);
  }

  percents(): number[] {
    const elapsed = performance.now() - this.startedAt;
    return this.pids.map((pid, i) => ((cpuTimeMs(pid) - this.start[i]) / elapsed) * 100);
  }
}

/** The whole machine: CPU busy (all cores, in % of one core) and CPU pressure (share of time some task waited). */
export class MachineMeter {
  private readonly start = machineSample();
  private readonly startedAt = performance.now();

  read(): { busyPercent: number; pressurePercent: number } {
    const now = machineSample();
    const elapsedMs = performance.now() - this.startedAt;
    return {
      busyPercent: ((now.busyMs - this.start.busyMs) / elapsedMs) * 100,
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
