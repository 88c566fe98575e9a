import { AlertmanagerNotifier } from '../../apps/alerter/src/notify/alertmanager.notifier';
import type { NotifiableAlert } from '../../apps/alerter/src/notify/notifiable-alert';
import { WebhookNotifier, type WebhookPayload } from '../../apps/alerter/src/notify/webhook.notifier';
import { eventually } from '../support/eventually';
import { WebhookReceiver } from '../support/webhook-receiver';
import * as am from '../../deploy/alertmanager/alertmanager';

/**
 * The alerter's Alertmanager path against a real Alertmanager (Debian's prometheus-alertmanager,
 * provisioned by deploy/alertmanager/alertmanager.js): our posts must be accepted, routed to the
 * team's receiver, resolved by our endsAt, and muted by Alertmanager's own silences. If the
 * binary cannot be provisioned, beforeAll fails with the reason: this spec never skips.
 */
const AM_PORT = Number(process.env.TEST_ALERTMANAGER_PORT ?? 39993);
const run = `${Date.now().toString(36)}`;

type AmAlert = { labels: Record<string, string>; status: { state: string; silencedBy: string[] } };

const alert = (alertname: string, over: Partial<NotifiableAlert> = {}): NotifiableAlert => ({
  fingerprint: `fp-${alertname}`,
  state: 'firing',
  labels: { alertname, severity: 'critical', tenant: 'acme', container: 'web-1' },
  annotations: { summary: `${alertname} on web-1` },
  startsAt: Date.now() - 5_000,
  generatorURL: 'http://127.0.0.1:8083/v1/alert-rules/x',
  ...over,
});

describe('alerter → Alertmanager → webhook receiver', () => {
  let receiver: WebhookReceiver<WebhookPayload>;
  let amUrl: string;
  let notifier: AlertmanagerNotifier;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start<WebhookPayload>();
    const started = await am.startAlertmanager({
      port: AM_PORT,
      webhookUrl: `${receiver.url}/am`,
      fast: true,
    });
    amUrl = started.url;
    notifier = new AlertmanagerNotifier({ url: amUrl, resendIntervalMs: 60_000, lingerMs: 20 });
  });

  afterAll(async () => {
    await notifier?.close();
    await am.stopAlertmanager(AM_PORT);
    await receiver?.close();
  });

  const about = (alertname: string, status?: string) => (body: WebhookPayload) =>
    body.groupLabels?.alertname === alertname && (status === undefined || body.status === status);

  it('delivers a firing alert, then its resolve', async () => {
    const name = `E2eHighCpu_${run}`;
    await expect(notifier.notify(alert(name))).resolves.toMatchObject({ ok: true });

    const fired = await receiver.waitFor(about(name, 'firing'));
    expect(fired.path).toBe('/am');
    expect(fired.body).toMatchObject({ version: '4', status: 'firing', receiver: 'webhook' });
    expect(fired.body.alerts).toHaveLength(1);
    expect(fired.body.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: name, severity: 'critical', tenant: 'acme', container: 'web-1' },
      annotations: { summary: `${name} on web-1` },
      generatorURL: 'http://127.0.0.1:8083/v1/alert-rules/x',
    });
    expect(notifier.firing().map((a) => a.fingerprint)).toEqual([`fp-${name}`]);

    const endsAt = Date.now();
    await expect(notifier.notify(alert(name, { state: 'resolved', endsAt }))).resolves.toMatchObject({
      ok: true,
    });
    const resolved = await receiver.waitFor(about(name, 'resolved'));
    expect(resolved.body.alerts[0]).toMatchObject({ status: 'resolved', labels: { alertname: name } });
    expect(Date.parse(resolved.body.alerts[0].endsAt)).toBe(endsAt);
    expect(notifier.firing()).toEqual([]);
  });

  it("is muted by an Alertmanager silence (the team's own silences keep working)", async () => {
    const silenced = `E2eSilenced_${run}`;
    const control = `E2eControl_${run}`;
    const res = await fetch(`${amUrl}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [
          { name: 'alertname', value: silenced, isRegex: false, isEqual: true },
          { name: 'container', value: 'web-.*', isRegex: true, isEqual: true },
        ],
        startsAt: new Date(Date.now() - 1_000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'e2e',
        comment: 'maintenance',
      }),
    });
    expect(res.status).toBe(200);
    const { silenceID } = (await res.json()) as { silenceID: string };

    const results = await Promise.all([notifier.notify(alert(silenced)), notifier.notify(alert(control))]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);

    await eventually(async () => {
      const q = new URLSearchParams({ filter: `alertname="${silenced}"` });
      const alerts = (await (await fetch(`${amUrl}/api/v2/alerts?${q.toString()}`)).json()) as AmAlert[];
      expect(alerts).toHaveLength(1);
      expect(alerts[0].status).toMatchObject({ state: 'suppressed', silencedBy: [silenceID] });
    });
    // Both groups were due at the same group_wait: once the control alert has arrived, and a
    // further group interval has passed, the silenced one would have arrived too.
    const arrived = await receiver.waitFor(about(control, 'firing'));
    await eventually(async () => expect(Date.now() - arrived.at).toBeGreaterThan(2_500), 10_000);
    expect(receiver.bodies(about(silenced))).toEqual([]);
  });
});

describe('alerter → direct webhook receiver', () => {
  it('the direct webhook gets the same format, retried until the receiver takes it', async () => {
    const direct = await WebhookReceiver.start<WebhookPayload>();
    const dead: string[] = [];
    const webhook = new WebhookNotifier(
      { url: `${direct.url}/hook`, token: 'tok', initialBackoffMs: 20, maxBackoffMs: 100 },
      (_alert, reason) => void dead.push(reason),
    );
    try {
      direct.failNext(2);
      const name = `E2eDirect_${run}`;
      await expect(webhook.notify(alert(name))).resolves.toMatchObject({ ok: true, attempts: 3 });
      expect(direct.received.map((r) => r.status)).toEqual([500, 500, 200]);
      expect(direct.received[2].headers.authorization).toBe('Bearer tok');
      expect(direct.received[2].body).toMatchObject({
        version: '4',
        status: 'firing',
        groupLabels: { alertname: name },
      });
      expect(dead).toEqual([]);
    } finally {
      await webhook.close();
      await direct.close();
    }
  });
});
