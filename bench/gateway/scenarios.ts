import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodeHistogram, latencyHistogram } from './bench-common';
import { ClientProcess, spread } from './client-process';
import { mainThreadCpuMicros } from './thread-cpu';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LoadOptions {
  label: string;
  port: number;
  agents: number;
  processes: number;
  seconds: number;
  warmupMs: number;
  expectAcks: boolean;
  ratePerAgent?: number;
  /** Server-side message counter (bare servers); without it, throughput is what the server ACKed. */
  received?: () => number;
  clients: ClientProcess[];
  failures: string[];
}

export interface LoadFigures {
  messagesPerSecond: number;
  writtenPerSecond: number;
  acked: number;
  latency: { p50: number; p99: number; max: number; count: number };
  /** Of this process (the server under test), and of each load client, in % of one core. */
  serverCpu: number;
  /** Of this process's main thread alone (the event loop), in % of one core. */
  serverMainThreadCpu: number;
  clientCpu: number[];
}

/** One throughput scenario: warm up, measure a fixed window, let the streams finish. */
export async function runLoad(o: LoadOptions): Promise<LoadFigures> {
  const durationMs = o.seconds * 1000;
  const started = spread(0, o.agents, o.processes).map((range) => {
    const client = new ClientProcess({
      mode: 'stream',
      port: o.port,
      ...range,
      warmupMs: o.warmupMs,
      durationMs,
      ratePerAgent: o.ratePerAgent ?? 0,
    });
    o.clients.push(client);
    return client;
  });
  await Promise.all(started.map((c) => c.next('ready', 60_000)));
  started.forEach((c) => c.command('start'));
  await sleep(o.warmupMs);
  const receivedAtStart = o.received?.() ?? 0;
  const cpuAtStart = process.cpuUsage();
  const mainThreadAtStart = mainThreadCpuMicros();
  const windowStart = performance.now();
  await sleep(durationMs);
  const receivedInWindow = (o.received?.() ?? 0) - receivedAtStart;
  const cpu = process.cpuUsage(cpuAtStart);
  const mainThread = mainThreadCpuMicros() - mainThreadAtStart;
  const windowMs = performance.now() - windowStart;
  const results = await Promise.all(started.map((c) => c.next('stream-result', 60_000)));

  const latency = latencyHistogram();
  for (const r of results) {
    latency.add(decodeHistogram(r.latency));
    if (r.streamErrors.length > 0) o.failures.push(`${o.label}: stream errors: ${r.streamErrors.join('; ')}`);
  }
  const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + f(r), 0);
  if (o.expectAcks && sum((r) => r.windowAckedOfWritten) < sum((r) => r.windowWritten)) {
    const missing = sum((r) => r.windowWritten) - sum((r) => r.windowAckedOfWritten);
    o.failures.push(`${o.label}: ${missing} messages written in the window were never ACKed`);
  }
  const clientWindowMs = Math.max(...results.map((r) => r.windowMs));
  const ms = (us: number) => us / 1000;
  return {
    messagesPerSecond: o.received
      ? receivedInWindow / (windowMs / 1000)
      : sum((r) => r.ackedInWindow) / (clientWindowMs / 1000),
    writtenPerSecond: sum((r) => r.windowWritten) / (clientWindowMs / 1000),
    acked: sum((r) => r.acked),
    latency: {
      p50: latency.totalCount ? ms(latency.getValueAtPercentile(50)) : NaN,
      p99: latency.totalCount ? ms(latency.getValueAtPercentile(99)) : NaN,
      max: latency.totalCount ? ms(latency.maxValue) : NaN,
      count: latency.totalCount,
    },
    serverCpu: ((cpu.user + cpu.system) / 1000 / windowMs) * 100,
    serverMainThreadCpu: (mainThread / 1000 / windowMs) * 100,
    clientCpu: results.map((r) => r.cpuPercent),
  };
}

export interface IdleOptions {
  port: number;
  /** Loopback addresses the clients spread their connections over (see gateway.bench.ts). */
  hosts: string[];
  streams: number;
  processes: number;
  holdMs: number;
  heartbeatEveryMs: number;
  /** How long a load client may take to open its share of the streams. */
  openTimeoutMs: number;
  openStreams: () => Promise<number>;
  gc: () => void;
  clients: ClientProcess[];
}

export interface IdleFigures {
  rssBefore: number;
  rssAfter: number;
  /** JS objects (V8 heap used), and what V8 committed for its heap; the rest of RSS is native. */
  heapDelta: number;
  heapCommittedDelta: number;
  /** Kernel memory of all TCP sockets of the machine (both ends of each connection), not in RSS. */
  tcpKernelDelta: number | undefined;
  opened: number;
  openStreams: number;
  heldMs: number;
  heartbeatsOk: number;
  heartbeatsFailed: number;
  failures: string[];
  streamErrors: string[];
}

/** Many open, quiet DataStreams that heartbeat: what each costs the gateway in resident memory. */
export async function runIdleStreams(o: IdleOptions): Promise<IdleFigures> {
  const settle = async () => {
    o.gc();
    await sleep(300);
    o.gc();
    return { ...process.memoryUsage(), tcpKernel: tcpKernelBytes() };
  };
  const before = await settle();
  const started = spread(0, o.streams, o.processes).map((range) => {
    const client = new ClientProcess({
      mode: 'idle',
      port: o.port,
      hosts: o.hosts,
      ...range,
      heartbeatEveryMs: o.heartbeatEveryMs,
    });
    o.clients.push(client);
    return client;
  });
  const opened = (await Promise.all(started.map((c) => c.next('opened', o.openTimeoutMs)))).reduce(
    (n, m) => n + m.count,
    0,
  );
  const heldFrom = performance.now();
  let openStreams = await o.openStreams();
  for (let tries = 0; openStreams < o.streams && tries < 100; tries++) {
    await sleep(100);
    openStreams = await o.openStreams();
  }
  await sleep(Math.max(0, o.holdMs - (performance.now() - heldFrom)));
  openStreams = await o.openStreams();
  const after = await settle();
  const heldMs = performance.now() - heldFrom;
  started.forEach((c) => c.command('stop'));
  const results = await Promise.all(started.map((c) => c.next('idle-result', 60_000)));
  return {
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapDelta: after.heapUsed - before.heapUsed,
    heapCommittedDelta: after.heapTotal - before.heapTotal,
    tcpKernelDelta:
      after.tcpKernel !== undefined && before.tcpKernel !== undefined
        ? after.tcpKernel - before.tcpKernel
        : undefined,
    opened,
    openStreams,
    heldMs,
    heartbeatsOk: results.reduce((n, r) => n + r.heartbeatsOk, 0),
    heartbeatsFailed: results.reduce((n, r) => n + r.heartbeatsFailed, 0),
    failures: results.flatMap((r) => r.failures).slice(0, 5),
    streamErrors: results.flatMap((r) => r.streamErrors).slice(0, 5),
  };
}

/** The `mem` of TCP in /proc/net/sockstat (pages, machine-wide), in bytes; undefined if unreadable. */
function tcpKernelBytes(): number | undefined {
  try {
    const pages = /^TCP:.*\bmem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1];
    return pages === undefined ? undefined : Number(pages) * 4096;
  } catch {
    return undefined;
  }
}
