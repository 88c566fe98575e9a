/**
 * Load generator, forked by gateway.bench.ts so that the server under test keeps its own event loop.
 * argv[2] holds the ClientSettings as JSON; results go back over IPC.
 */
import { performance } from 'node:perf_hooks';
import { ClientDuplexStream } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import * as c from './bench-common';
import { connect, isCancel, nextCommand, send } from './client-runtime';
import { runIdle } from './idle-client';
import { TimestampedPayload } from './timestamped-payload';

const settings = JSON.parse(process.argv[2]) as c.ClientSettings;
const RING = 1 << 16; // write timestamps kept per stream; far above what the gateway lets be in flight

class StreamAgent {
  readonly client;
  private readonly key;
  private readonly payload;
  /** Paced runs (projector freshness) send distinct samples; saturation reuses one payload. */
  private readonly stamped: TimestampedPayload | undefined;
  private readonly firstSampleMs = Date.now();
  private call: ClientDuplexStream<Buffer, Buffer> | undefined;
  private readonly writeTimes = new Float64Array(RING);
  written = 0;
  acked = 0;
  windowWritten = 0;
  windowAckedOfWritten = 0;
  /** Messages this agent may still write now; Infinity when unthrottled. */
  due: number;
  stopped = false;
  closed: Promise<void> = Promise.resolve();

  constructor(
    private readonly s: c.StreamSettings,
    index: number,
    private readonly window: { start: number; end: number },
    private readonly latency: ReturnType<typeof c.latencyHistogram>,
    private readonly errors: string[],
  ) {
    this.key = c.agentKey(index);
    this.payload = c.encodeStatsMessage(this.key, c.agentHost(index), index, String(this.firstSampleMs));
    this.stamped = s.ratePerAgent > 0 ? new TimestampedPayload(this.payload, this.firstSampleMs) : undefined;
    this.client = c.rawClient(s.port, index);
    this.due = s.ratePerAgent > 0 ? 0 : Infinity;
  }

  open(): void {
    const call = this.client.makeBidiStreamRequest(
      c.METHOD.dataStream,
      c.identity,
      c.identity,
      c.bearer(this.key),
    );
    this.call = call;
    call.on('data', (bytes: Buffer) => this.onServerMessage(bytes));
    call.on('drain', () => this.pump());
    call.on('error', (e: { code?: number; message: string }) => {
      if (!isCancel(e)) this.errors.push(`${this.key}: ${e.message}`);
    });
    this.closed = new Promise((resolve) => call.on('status', () => resolve()));
    this.pump();
  }

  pump(): void {
    const call = this.call!;
    while (!this.stopped && this.due >= 1) {
      const now = performance.now();
      const seq = ++this.written;
      this.due--;
      this.writeTimes[seq % RING] = now;
      if (now >= this.window.start && now < this.window.end) this.windowWritten++;
      const payload = this.stamped ? this.stamped.withTime(this.firstSampleMs + seq) : this.payload;
      if (!call.write(payload)) return;
    }
  }

  stop(): void {
    this.stopped = true;
    this.call?.end();
  }

  cancel(): void {
    this.call?.cancel();
    this.client.close();
  }

  private onServerMessage(bytes: Buffer): void {
    const message = agentpb.ServerMessage.decode(bytes);
    if (message.command !== agentpb.CommandType.ACK) return;
    const count = Number(message.ackedCount ?? 0);
    const now = performance.now();
    for (let seq = this.acked + 1; seq <= count; seq++) {
      const wroteAt = this.writeTimes[seq % RING];
      if (wroteAt >= this.window.start && wroteAt < this.window.end) {
        this.windowAckedOfWritten++;
        this.latency.recordValue(Math.max(1, Math.round((now - wroteAt) * 1000)));
      }
    }
    if (count > this.acked) this.acked = count;
  }
}

async function runStreams(s: c.StreamSettings): Promise<void> {
  const window = { start: Infinity, end: Infinity };
  const latency = c.latencyHistogram();
  const errors: string[] = [];
  const agents = Array.from(
    { length: s.agents },
    (_, j) => new StreamAgent(s, s.firstAgent + j, window, latency, errors),
  );
  await Promise.all(agents.map((a) => connect(a.client)));
  send({ type: 'ready' });
  await nextCommand('start');

  const t0 = performance.now();
  window.start = t0 + s.warmupMs;
  window.end = window.start + s.durationMs;
  const total = (f: (a: StreamAgent) => number) => agents.reduce((n, a) => n + f(a), 0);
  agents.forEach((a) => a.open());
  let throttle: NodeJS.Timeout | undefined;
  if (s.ratePerAgent > 0) {
    let last = t0;
    throttle = setInterval(() => {
      const now = performance.now();
      const credit = (s.ratePerAgent * (now - last)) / 1000;
      last = now;
      for (const a of agents) {
        a.due = Math.min(a.due + credit, s.ratePerAgent); // at most one second of catch-up
        a.pump();
      }
    }, 5);
  }

  await sleepUntil(window.start);
  const ackedAtStart = total((a) => a.acked);
  const cpuAtStart = process.cpuUsage();
  await sleepUntil(window.end);
  const ackedInWindow = total((a) => a.acked) - ackedAtStart;
  const cpu = process.cpuUsage(cpuAtStart);
  const windowMs = performance.now() - window.start;
  clearInterval(throttle);

  agents.forEach((a) => a.stop());
  // Half-closed streams end once the server has stored (and ACKed) what it accepted.
  const grace = new Promise((r) => setTimeout(r, 30_000).unref());
  await Promise.race([Promise.all(agents.map((a) => a.closed)), grace]);
  agents.forEach((a) => a.cancel());

  send(
    {
      type: 'stream-result',
      written: total((a) => a.written),
      acked: total((a) => a.acked),
      windowWritten: total((a) => a.windowWritten),
      windowAckedOfWritten: total((a) => a.windowAckedOfWritten),
      ackedInWindow,
      windowMs,
      latency: c.encodeHistogram(latency),
      cpuPercent: ((cpu.user + cpu.system) / 1000 / windowMs) * 100,
      streamErrors: errors.slice(0, 5),
    },
    () => process.exit(0),
  );
}

function sleepUntil(t: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
}

(settings.mode === 'stream' ? runStreams(settings) : runIdle(settings)).catch((error: Error) => {
  console.error(`load-client ${process.pid}: ${error.stack ?? error.message}`);
  process.exit(1);
});
