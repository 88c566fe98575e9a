import { CONTAINERS_PER_MESSAGE } from './bench-common';
import type { IdleFigures, LoadFigures } from './scenarios';

export interface Row {
  scenario: string;
  messages: number;
  note: string;
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';

const say = (line: string) => console.log(`   ${line}`);

export const heading = (title: string) => console.log(`\n== ${title}`);

export const rate = (msgs: number) =>
  `${fmt(msgs)} msg/s = ${fmt(msgs * CONTAINERS_PER_MESSAGE)} container rows/s`;

export const latencyText = (f: LoadFigures, withMax = false) =>
  `p50 ${fmt(f.latency.p50, 1)} ms, p99 ${fmt(f.latency.p99, 1)} ms` +
  (withMax ? `, max ${fmt(f.latency.max, 1)} ms` : '');

/** CPU use, and what it comes to per message. */
export const cpuPerMessage = (percentOfCore: number, messagesPerSecond: number) =>
  `${fmt(percentOfCore)} (${fmt((percentOfCore * 10_000) / messagesPerSecond, 1)} µs per message)`;

/** Throughput, accept latency when the server ACKs, and who used the CPUs. */
export function printLoad(f: LoadFigures, acked: boolean): void {
  if (!acked) say(rate(f.messagesPerSecond));
  else {
    say(`ACKed: ${rate(f.messagesPerSecond)}`);
    say(`accept latency (write -> ACK): ${latencyText(f, true)} (over ${fmt(f.latency.count)} messages)`);
  }
  const clients = f.clientCpu.map((c) => fmt(c)).join(' + ');
  say(
    `CPU (% of one core): server ${cpuPerMessage(f.serverCpu, f.messagesPerSecond)}, load clients ${clients}`,
  );
  say(`server main thread (event loop) alone: ${cpuPerMessage(f.serverMainThreadCpu, f.messagesPerSecond)}`);
}

export function memoryPerStreamKiB(idle: IdleFigures, streams: number): number {
  return (idle.rssAfter - idle.rssBefore) / streams / 1024;
}

export function printIdle(idle: IdleFigures, streams: number): void {
  const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MiB`;
  const kib = (bytes: number) => `${fmt(bytes / streams / 1024, 1)} KiB`;
  say(`gateway RSS before ${mib(idle.rssBefore)}, with all streams open ${mib(idle.rssAfter)}`);
  say(
    `resident memory per stream: ${fmt(memoryPerStreamKiB(idle, streams), 1)} KiB (gateway process RSS ` +
      `growth / streams, after a full GC): JS objects ${kib(idle.heapDelta)}, V8 heap committed ` +
      `${kib(idle.heapCommittedDelta)}; the rest is native (sockets, HTTP/2 sessions, malloc)`,
  );
  if (idle.tcpKernelDelta !== undefined) {
    say(
      `kernel TCP buffers, not in RSS: ${kib(idle.tcpKernelDelta)} per connection, both ends ` +
        '(machine-wide /proc/net/sockstat: other work on the machine skews it)',
    );
  }
  say(
    `gateway_open_streams: ${idle.openStreams} (expected ${streams}); opened by the clients: ${idle.opened}`,
  );
  say(
    `heartbeats: ${fmt(idle.heartbeatsOk)} succeeded, ${idle.heartbeatsFailed} failed, ` +
      `over ${fmt(idle.heldMs / 1000, 1)} s with all streams open`,
  );
}

export function printSummary(rows: Row[], wallSeconds: number, footer: string[]): void {
  heading(`Summary (${fmt(wallSeconds)} s wall time)`);
  const width = Math.max(...rows.map((r) => r.scenario.length));
  const line = (scenario: string, messages: string, rows: string, note: string) =>
    say(`${scenario.padEnd(width)}  ${messages.padStart(11)}  ${rows.padStart(16)}  ${note}`.trimEnd());
  line('scenario', 'messages/s', 'container rows/s', 'notes');
  for (const r of rows) {
    const messages = Number.isFinite(r.messages) ? fmt(r.messages) : '';
    const containerRows = Number.isFinite(r.messages) ? fmt(r.messages * CONTAINERS_PER_MESSAGE) : '';
    line(r.scenario, messages, containerRows, r.note);
  }
  footer.forEach(say);
}

/** Prints what went wrong (if anything) and gives the exit code: a benchmark fails only on real failures. */
export function exitCodeAfter(failures: string[]): number {
  if (failures.length > 0) console.error(`\nFAILED:\n - ${failures.join('\n - ')}`);
  return failures.length > 0 ? 1 : 0;
}

export function runBenchmark(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
