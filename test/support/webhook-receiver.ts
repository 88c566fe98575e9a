import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook<T = unknown> {
  /** Arrival time, epoch ms. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: T;
  /** The status it was answered with. */
  status: number;
}

/**
 * A tiny HTTP endpoint on 127.0.0.1 (a free port) that records the JSON bodies posted to it.
 * It answers 200, or a failure status for the next N requests after failNext(n).
 */
export class WebhookReceiver<T = unknown> {
  readonly received: ReceivedWebhook<T>[] = [];
  private failures: { left: number; status: number } = { left: 0, status: 500 };

  private readonly server: Server;
  private base = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.record(req.method ?? '', req.url ?? '', req.headers, chunks, res));
    });
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return this.base;
  }

  static async start<T = unknown>(): Promise<WebhookReceiver<T>> {
    const receiver = new WebhookReceiver<T>();
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(0, '127.0.0.1', () => resolve());
    });
    receiver.base = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** The next n requests are answered with this status (default 500) and still recorded. */
  failNext(n: number, status = 500): void {
    this.failures = { left: n, status };
  }

  /** Bodies received so far that satisfy the predicate. */
  bodies(predicate: (body: T) => boolean = () => true): T[] {
    return this.received.filter((r) => predicate(r.body)).map((r) => r.body);
  }

  /** Polls until a received body satisfies the predicate; throws with what arrived otherwise. */
  async waitFor(predicate: (body: T) => boolean, timeoutMs = 30_000): Promise<ReceivedWebhook<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find((r) => predicate(r.body));
      if (hit) return hit;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching webhook within ${timeoutMs} ms; received ${this.received.length}:\n` +
            JSON.stringify(this.received.map((r) => r.body)).slice(0, 4000),
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private record(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    chunks: Buffer[],
    res: ServerResponse,
  ): void {
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: T;
    try {
      body = (raw ? JSON.parse(raw) : undefined) as T;
    } catch {
      body = raw as T;
    }
    let status = 200;
    if (this.failures.left > 0) {
      this.failures.left--;
      status = this.failures.status;
    }
    this.received.push({ at: Date.now(), method, path, headers, body, status });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'failing on purpose');
  }
}
