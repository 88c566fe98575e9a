import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU time of this process's main thread alone (the gRPC event loop), in µs: utime + stime of
 * /proc/self/task/<pid>/stat. process.cpuUsage() also counts the Kafka producer worker and libuv's
 * threads. Resolution 10 ms; NaN where /proc is missing.
 */
export function mainThreadCpuMicros(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
    return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
