import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningAlerter, startAlerter } from '../../apps/alerter/src/alerter.app';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import * as am from '../../deploy/alertmanager/alertmanager';
import { CommandAgent } from '../support/command-agent';
import { eventually } from '../support/eventually';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import { WebhookReceiver } from '../support/webhook-receiver';

const AM_PORT = Number(process.env.TEST_ALERTER_ALERTMANAGER_PORT ?? 39994);

interface AmWebhook {
  status: string;
  receiver: string;
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    endsAt: string;
  }[];
}

/**
 * The whole path to a team's pager: agent → gateway → Kafka → alerter → a real Alertmanager
 * (Debian's prometheus-alertmanager, started by deploy/alertmanager) → the webhook receiver its
 * route points at. Alertmanager gets firing alerts and the resolve with its endsAt.
 */
describe('alerter through a real Alertmanager', () => {
  const prefix = uniqueTopicPrefix();
  let receiver: WebhookReceiver<AmWebhook>;
  let alertmanager: am.StartedAlertmanager;
  let gateway: RunningGateway;
  let alerter: RunningAlerter;
  let agent: CommandAgent;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start<AmWebhook>();
    await am.provision();
    alertmanager = await am.startAlertmanager({ port: AM_PORT, webhookUrl: receiver.url, fast: true });
    const dir = mkdtempSync(join(tmpdir(), 'alerter-am-'));
    writeFileSync(
      join(dir, 'rules.yaml'),
      `rules:
  - name: container-died
    source: events
    when: 'event.action == "die" && event.attrs["exitCode"] != "0"'
    severity: critical
    annotations: { summary: '{{ .container }} exited with {{ .attrs.exitCode }}' }
    resolve_after: 3s
`,
    );
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    alerter = await startAlerter({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: prefix,
      ALERTER_HTTP_PORT: '0',
      ALERTER_RULES_FILE: join(dir, 'rules.yaml'),
      ALERTER_ALERTMANAGER_URL: alertmanager.url,
      ALERTER_RESEND_INTERVAL_MS: '2000',
      ALERTER_TICK_MS: '200',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    });
    agent = await new CommandAgent(KEY.alpha, 'am-host').connect(gateway.grpcPort);
  }, 120_000);

  afterAll(async () => {
    agent?.kill();
    await alerter?.close();
    await gateway?.close();
    await alertmanager?.stop();
    await receiver?.close();
  });

  it('a firing alert reaches the receiver through Alertmanager, then its resolve', async () => {
    agent.event('die', 'c0ffee000001aaaa', 'web', { exitCode: '1' });
    const firing = await receiver.waitFor((b) => b.status === 'firing', 30_000);
    expect(firing.body.alerts[0].labels).toMatchObject({
      alertname: 'container-died',
      severity: 'critical',
      container: 'web',
      host: 'am-host',
      agent_id: agent.agentId,
    });
    expect(firing.body.alerts[0].annotations.summary).toBe('web exited with 1');
    const resolved = await receiver.waitFor((b) => b.status === 'resolved', 30_000);
    expect(resolved.body.alerts[0].labels.alertname).toBe('container-died');
    // Alertmanager delivered one notification per state, however often the alerter re-sent it
    await eventually(async () => {
      const states = receiver.bodies().map((b) => b.status);
      expect(states.filter((s) => s === 'firing')).toHaveLength(1);
      expect(states.filter((s) => s === 'resolved')).toHaveLength(1);
    });
  }, 90_000);
});
