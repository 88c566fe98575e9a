import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotifiableAlert } from './notifiable-alert';
import { WebhookNotifier, type WebhookNotifierOptions, type WebhookPayload } from './webhook.notifier';

interface Received {
  body: WebhookPayload;
  headers: IncomingHttpHeaders;
}

/** A local endpoint answering with the scripted statuses in turn (then 200). */
async function endpoint(statuses: number[] = [], delayMs = 0) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      received.push({ body: JSON.parse(raw) as WebhookPayload, headers: req.headers });
      const status = statuses.shift() ?? 200;
      setTimeout(() => res.writeHead(status).end(status === 200 ? 'ok' : `status ${status}`), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const firing: NotifiableAlert = {
  fingerprint: 'fp-1',
  state: 'firing',
  labels: { alertname: 'HighCpu', severity: 'critical', tenant: 'acme', container: 'web-1' },
  annotations: { summary: 'cpu above 90%' },
  startsAt: Date.parse('2025-03-01T10:00:00Z'),
  generatorURL: 'http://control-api/v1/alert-rules/HighCpu',
};

describe('WebhookNotifier', () => {
  const fast: Partial<WebhookNotifierOptions> = { initialBackoffMs: 5, maxBackoffMs: 20, random: () => 0.5 };
  let server: Awaited<ReturnType<typeof endpoint>>;
  let notifier: WebhookNotifier | undefined;
  const deadLetters: { alert: NotifiableAlert; reason: string }[] = [];
  const deadLetter = (alert: NotifiableAlert, reason: string) => void deadLetters.push({ alert, reason });

  afterEach(async () => {
    await notifier?.close();
    notifier = undefined;
    await server.close();
    deadLetters.length = 0;
  });

  it("posts Alertmanager's webhook JSON, one alert per post, with the bearer token", async () => {
    server = await endpoint();
    notifier = new WebhookNotifier(
      { url: server.url, token: 's3cret', externalURL: 'http://ctl' },
      deadLetter,
    );

    await expect(notifier.notify(firing)).resolves.toMatchObject({ ok: true, attempts: 1 });
    const resolvedAt = Date.parse('2025-03-01T10:05:00Z');
    await expect(
      notifier.notify({ ...firing, state: 'resolved', endsAt: resolvedAt }),
    ).resolves.toMatchObject({
      ok: true,
    });

    expect(server.received).toHaveLength(2);
    expect(server.received[0].headers.authorization).toBe('Bearer s3cret');
    expect(server.received[0].headers['content-type']).toBe('application/json');
    expect(server.received[0].body).toEqual({
      version: '4',
      groupKey: '{}:{alertname="HighCpu", fingerprint="fp-1"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'alerter',
      groupLabels: { alertname: 'HighCpu' },
      commonLabels: firing.labels,
      commonAnnotations: firing.annotations,
      externalURL: 'http://ctl',
      alerts: [
        {
          status: 'firing',
          labels: firing.labels,
          annotations: firing.annotations,
          startsAt: '2025-03-01T10:00:00.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://control-api/v1/alert-rules/HighCpu',
          fingerprint: 'fp-1',
        },
      ],
    });
    const resolved = server.received[1].body;
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', endsAt: '2025-03-01T10:05:00.000Z' });
  });

  it('sends no Authorization header without a token', async () => {
    server = await endpoint();
    notifier = new WebhookNotifier({ url: server.url }, deadLetter);
    await notifier.notify(firing);
    expect(server.received[0].headers.authorization).toBeUndefined();
  });

  it('retries 5xx, 429 and 408 with back-off, then succeeds', async () => {
    server = await endpoint([500, 429, 408, 503]);
    notifier = new WebhookNotifier({ url: server.url, ...fast }, deadLetter);
    await expect(notifier.notify(firing)).resolves.toMatchObject({ ok: true, attempts: 5 });
    expect(server.received).toHaveLength(5);
    expect(deadLetters).toEqual([]);
  });

  it('treats other 4xx as permanent: no retry, dead-lettered', async () => {
    server = await endpoint([400]);
    notifier = new WebhookNotifier({ url: server.url, ...fast }, deadLetter);
    const result = await notifier.notify(firing);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.detail).toMatch(/permanent failure: HTTP 400/);
    expect(server.received).toHaveLength(1);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0].reason).toMatch(/HTTP 400/);
  });

  it('dead-letters after the last retry', async () => {
    server = await endpoint([500, 500, 500]);
    notifier = new WebhookNotifier({ url: server.url, attempts: 3, ...fast }, deadLetter);
    const result = await notifier.notify(firing);
    expect(result).toMatchObject({ ok: false, attempts: 3 });
    expect(result.detail).toMatch(/gave up after 3 attempts: HTTP 500.*dead-lettered/);
    expect(server.received).toHaveLength(3);
    expect(deadLetters).toEqual([
      { alert: firing, reason: expect.stringMatching(/gave up after 3 attempts/) },
    ]);
  });

  it('retries timeouts and connection errors', async () => {
    server = await endpoint([], 300);
    notifier = new WebhookNotifier({ url: server.url, attempts: 2, timeoutMs: 50, ...fast }, deadLetter);
    const result = await notifier.notify(firing);
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.detail).toMatch(/timed out after 50 ms/);

    const refused = new WebhookNotifier({ url: 'http://127.0.0.1:1/hook', attempts: 2, ...fast }, deadLetter);
    const r2 = await refused.notify(firing);
    await refused.close();
    expect(r2).toMatchObject({ ok: false, attempts: 2 });
    expect(deadLetters).toHaveLength(2);
  });

  it('bounds the posts in flight', async () => {
    let open = 0;
    let peak = 0;
    const fetch = (async () => {
      peak = Math.max(peak, ++open);
      await new Promise((r) => setTimeout(r, 10));
      open--;
      return new Response('ok');
    }) as unknown as typeof globalThis.fetch;
    server = await endpoint();
    notifier = new WebhookNotifier({ url: server.url, fetch, maxConcurrent: 3 }, deadLetter);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => notifier!.notify({ ...firing, fingerprint: `fp-${i}` })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(peak).toBe(3);
  });

  it('never throws, even when the dead letter does', async () => {
    server = await endpoint([404]);
    notifier = new WebhookNotifier({ url: server.url, ...fast }, () =>
      Promise.reject(new Error('kafka down')),
    );
    const result = await notifier.notify(firing);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/dead letter failed: kafka down/);
  });

  it('close() cuts retries short and dead-letters what was not delivered', async () => {
    server = await endpoint([500, 500, 500, 500, 500]);
    notifier = new WebhookNotifier(
      { url: server.url, initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
      deadLetter,
    );
    const pending = notifier.notify(firing);
    while (server.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    await notifier.close();
    await expect(pending).resolves.toMatchObject({ ok: false, attempts: 1 });
    expect(deadLetters[0].reason).toMatch(/closed during retries/);
    await expect(notifier.notify(firing)).resolves.toMatchObject({ ok: false, attempts: 0 });
  });
});
