import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AlertmanagerNotifier,
  type AlertmanagerNotifierOptions,
  type PostableAlert,
} from './alertmanager.notifier';
import type { NotifiableAlert } from './notifiable-alert';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const RESEND = 60_000;

function alert(fp: string, over: Partial<NotifiableAlert> = {}): NotifiableAlert {
  return {
    fingerprint: fp,
    state: 'firing',
    labels: { alertname: 'HighCpu', container: fp },
    annotations: { summary: `cpu of ${fp}` },
    startsAt: T0 - 30_000,
    ...over,
  };
}

/** A fetch stand-in recording each post's alerts, answering with scripted statuses (then 200). */
function fakeFetch(statuses: number[] = []) {
  const posts: { url: string; at: number; alerts: PostableAlert[] }[] = [];
  const fetch = jest.fn(async (url: string, init?: RequestInit) => {
    posts.push({
      url,
      at: Date.now(),
      alerts: JSON.parse(init?.body as string) as PostableAlert[],
    });
    const status = statuses.shift() ?? 200;
    return new Response(status === 200 ? '' : 'boom', { status });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, posts };
}

describe('AlertmanagerNotifier (fake clock)', () => {
  let notifier: AlertmanagerNotifier | undefined;
  const make = (opts: Partial<AlertmanagerNotifierOptions>) =>
    (notifier = new AlertmanagerNotifier({ url: 'http://am:9093/', random: () => 0.5, ...opts }));

  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(async () => {
    const closing = notifier?.close();
    await jest.runOnlyPendingTimersAsync();
    await closing;
    notifier = undefined;
    jest.useRealTimers();
  });

  it('batches alerts notified together into one post to /api/v2/alerts', async () => {
    const am = fakeFetch();
    make({ fetch: am.fetch });
    const results = [
      notifier!.notify(alert('a')),
      notifier!.notify(alert('b')),
      notifier!.notify(alert('c')),
    ];
    expect(am.posts).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(50);
    await expect(Promise.all(results)).resolves.toEqual([
      expect.objectContaining({ ok: true, attempts: 1 }),
      expect.objectContaining({ ok: true }),
      expect.objectContaining({ ok: true }),
    ]);
    expect(am.posts).toHaveLength(1);
    expect(am.posts[0].url).toBe('http://am:9093/api/v2/alerts');
    expect(am.posts[0].alerts.map((a) => a.labels.container)).toEqual(['a', 'b', 'c']);
    expect(am.posts[0].alerts[0]).toEqual({
      labels: { alertname: 'HighCpu', container: 'a' },
      annotations: { summary: 'cpu of a' },
      startsAt: '2025-03-01T09:59:30.000Z',
      endsAt: new Date(T0 + 4 * RESEND).toISOString(), // now (at notify) + 4 × resend interval
    });
  });

  it('splits into posts of at most maxBatch alerts', async () => {
    const am = fakeFetch();
    make({ fetch: am.fetch, maxBatch: 2 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((fp) => notifier!.notify(alert(fp)));
    await jest.advanceTimersByTimeAsync(50);
    await Promise.all(results);
    expect(am.posts.map((p) => p.alerts.length)).toEqual([2, 2, 1]);
  });

  it('re-sends firing alerts every resend interval; a resolve is sent once with its end time', async () => {
    const am = fakeFetch();
    make({ fetch: am.fetch, resendIntervalMs: RESEND });
    await settle(notifier!.notify(alert('a')));
    expect(am.posts).toHaveLength(1);

    await jest.advanceTimersByTimeAsync(RESEND);
    expect(am.posts).toHaveLength(2);
    const resent = am.posts[1];
    // endsAt is set when the resend is queued, one linger before the post
    expect(Date.parse(resent.alerts[0].endsAt) - (resent.at - 50)).toBe(4 * RESEND);
    await jest.advanceTimersByTimeAsync(RESEND);
    expect(am.posts).toHaveLength(3);
    expect(notifier!.firing().map((a) => a.fingerprint)).toEqual(['a']);

    const endsAt = Date.now() - 5_000;
    await settle(notifier!.notify(alert('a', { state: 'resolved', endsAt })));
    expect(am.posts).toHaveLength(4);
    expect(am.posts[3].alerts[0].endsAt).toBe(new Date(endsAt).toISOString());
    expect(notifier!.firing()).toEqual([]);

    await jest.advanceTimersByTimeAsync(3 * RESEND);
    expect(am.posts).toHaveLength(4);
    expect(notifier!.stats()).toMatchObject({ posts: 4, failedPosts: 0, resends: 2, alertsPosted: 4 });
  });

  it('sends only the latest state when firing and resolve fall in the same batch', async () => {
    const am = fakeFetch();
    make({ fetch: am.fetch });
    const first = notifier!.notify(alert('a'));
    const second = notifier!.notify(alert('a', { state: 'resolved', endsAt: T0 }));
    await jest.advanceTimersByTimeAsync(50);
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
    expect(am.posts).toHaveLength(1);
    expect(am.posts[0].alerts).toHaveLength(1);
    expect(am.posts[0].alerts[0].endsAt).toBe(new Date(T0).toISOString());
  });

  it('retries a failed post with back-off and counts the failures', async () => {
    const am = fakeFetch([503, 500]);
    make({ fetch: am.fetch, initialBackoffMs: 500 });
    const result = notifier!.notify(alert('a'));
    await jest.advanceTimersByTimeAsync(50);
    expect(am.posts).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(375); // 500 ms step, equal jitter at random 0.5
    expect(am.posts).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(750);
    await expect(result).resolves.toMatchObject({ ok: true, attempts: 3 });
    expect(notifier!.stats()).toMatchObject({ posts: 3, failedPosts: 2, retries: 2 });
  });

  it('gives up after the bounded attempts; the alert stays in the resend set', async () => {
    const am = fakeFetch([500, 500, 500]);
    make({ fetch: am.fetch, attempts: 3, initialBackoffMs: 10 });
    const result = notifier!.notify(alert('a'));
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toMatchObject({ ok: false, attempts: 3 });
    expect((await result).detail).toMatch(/failed after 3 attempt\(s\): HTTP 500/);
    expect(notifier!.firing()).toHaveLength(1);
  });

  it('does not retry a 400 (Alertmanager kept the valid alerts)', async () => {
    const am = fakeFetch([400]);
    make({ fetch: am.fetch });
    const result = notifier!.notify(alert('a'));
    await jest.advanceTimersByTimeAsync(5_000);
    await expect(result).resolves.toMatchObject({ ok: false, attempts: 1 });
    expect(am.posts).toHaveLength(1);
  });

  it('restore() rebuilds the resend set without posting, first resend within one interval', async () => {
    const am = fakeFetch();
    make({ fetch: am.fetch, resendIntervalMs: RESEND, random: () => 0.25 });
    notifier!.restore([alert('a'), alert('b'), alert('c', { state: 'resolved', endsAt: T0 })]);
    expect(notifier!.firing().map((a) => a.fingerprint)).toEqual(['a', 'b']);
    await jest.advanceTimersByTimeAsync(RESEND / 4 - 1_000);
    expect(am.posts).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(am.posts).toHaveLength(1);
    expect(am.posts[0].alerts.map((a) => a.labels.container)).toEqual(['a', 'b']);
  });

  it('forget() drops alerts from the resend set without posting', async () => {
    const am = fakeFetch();
    make({ fetch: am.fetch, resendIntervalMs: RESEND });
    notifier!.restore([alert('a'), alert('b')]);
    notifier!.forget(['a']);
    await jest.advanceTimersByTimeAsync(RESEND + 1_000);
    expect(am.posts.flatMap((p) => p.alerts.map((a) => a.labels.container))).toEqual(['b']);
  });

  it('close() posts what is pending and stops resending', async () => {
    const am = fakeFetch();
    make({ fetch: am.fetch });
    const result = notifier!.notify(alert('a'));
    await notifier!.close();
    await expect(result).resolves.toMatchObject({ ok: true });
    await jest.advanceTimersByTimeAsync(5 * RESEND);
    expect(am.posts).toHaveLength(1);
    await expect(notifier!.notify(alert('b'))).resolves.toMatchObject({ ok: false, attempts: 0 });
  });

  async function settle<T>(p: Promise<T>): Promise<T> {
    await jest.advanceTimersByTimeAsync(50);
    return p;
  }
});

describe('AlertmanagerNotifier (HTTP)', () => {
  it('posts a JSON array with ISO times and a timeout', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        bodies.push({ path: req.url, type: req.headers['content-type'], body: JSON.parse(raw) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const notifier = new AlertmanagerNotifier({ url, lingerMs: 5 });
    try {
      const result = await notifier.notify(alert('a', { generatorURL: 'http://ctl/rules/HighCpu' }));
      expect(result).toMatchObject({ ok: true, attempts: 1 });
      expect(bodies).toEqual([
        {
          path: '/api/v2/alerts',
          type: 'application/json',
          body: [
            expect.objectContaining({
              generatorURL: 'http://ctl/rules/HighCpu',
              startsAt: expect.any(String),
            }),
          ],
        },
      ]);
    } finally {
      await notifier.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
