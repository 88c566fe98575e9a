import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PROBE_RULE } from './bench-rules';

interface WebhookBody {
  status?: string;
  alerts?: { status?: string; labels?: Record<string, string> }[];
}

/**
 * The webhook endpoint of the run (adapted from test/support/webhook-receiver.ts): answers every
 * post 200, stamps the arrival of each probe's firing alert (by its container label) with
 * performance.now() when the body has been read, and counts the other posts by rule and status.
 */
export class ProbeReceiver {
  /** Probe container name → first arrival of its firing alert (performance.now()). */
  readonly probeArrivals = new Map<string, number>();
  /** `<status>` → posts, the probes' included. */
  readonly byStatus = new Map<string, number>();
  /** Rule → firing alerts received (the probe rule's included). */
  readonly firingByRule = new Map<string, number>();
  posts = 0;
  unreadable = 0;
  duplicateProbes = 0;
  private readonly server: Server;
  private base = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const at = performance.now();
        this.record(Buffer.concat(chunks).toString('utf8'), at);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  static async start(): Promise<ProbeReceiver> {
    const receiver = new ProbeReceiver();
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(0, '127.0.0.1', () => resolve());
    });
    receiver.base = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
    return receiver;
  }

  get url(): string {
    return this.base;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private record(raw: string, at: number): void {
    this.posts++;
    let body: WebhookBody;
    try {
      body = JSON.parse(raw) as WebhookBody;
    } catch {
      this.unreadable++;
      return;
    }
    const status = body.status ?? '?';
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    for (const alert of body.alerts ?? []) {
      if (alert.status !== 'firing') continue;
      const rule = alert.labels?.alertname ?? '?';
      this.firingByRule.set(rule, (this.firingByRule.get(rule) ?? 0) + 1);
      const container = alert.labels?.container;
      if (rule !== PROBE_RULE || container === undefined) continue;
      if (this.probeArrivals.has(container)) this.duplicateProbes++;
      else this.probeArrivals.set(container, at);
    }
  }
}
