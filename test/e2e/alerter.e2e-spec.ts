import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { alertspb, commandspb } from '@app/contracts';
import { murmur2 } from '@app/kafka';
import { AgentKeyHasher, SecretHasher } from '@app/security';
import { RunningAlerter, startAlerter } from '../../apps/alerter/src/alerter.app';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { CommandAgent } from '../support/command-agent';
import { eventually } from '../support/eventually';
import { testKafka } from '../support/kafka-records';
import { KEY, startTestGateway, TEST_HASH_SECRET, uniqueTopicPrefix } from '../support/test-gateway';
import { TopicTail } from '../support/topic-tail';
import { WebhookReceiver } from '../support/webhook-receiver';

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
}
interface WebhookBody {
  status: string;
  alerts: WebhookAlert[];
}

const hasher = new AgentKeyHasher(new SecretHasher(TEST_HASH_SECRET));
const agentIdOf = (key: string) => hasher.principal('default', hasher.keyHmac(key)).agentId;
const SILENT_AGENT = agentIdOf(KEY.beta);

/**
 * The alerter end to end: agents on the generated gRPC client send events, stats and lifecycle
 * through a real gateway and Kafka; the alerter (rules from a YAML file) fires and resolves, and
 * notifies a webhook receiver in Alertmanager's webhook format. Stats carry agent times minutes in
 * the past, sent out of order.
 */
describe('alerter: rules over events, stats and agent silence, to a webhook', () => {
  const prefix = uniqueTopicPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'alerter-e2e-'));
  const rulesFile = join(dir, 'rules.yaml');
  let gateway: RunningGateway;
  let receiver: WebhookReceiver<WebhookBody>;
  const alerters: RunningAlerter[] = [];
  const agents: CommandAgent[] = [];
  const alertLog = new TopicTail([`${prefix}alerts`], (v) => alertspb.AlertLogRecord.decode(v));

  const startOneAlerter = async (id: string) => {
    const alerter = await startAlerter({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: prefix,
      ALERTER_ID: id,
      ALERTER_HTTP_PORT: '0',
      ALERTER_RULES_FILE: rulesFile,
      ALERTER_RULES_POLL_MS: '200',
      ALERTER_WEBHOOK_URL: receiver.url,
      ALERTER_TICK_MS: '200',
      ALERTER_MAX_LATENESS_MS: '60000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    });
    alerters.push(alerter);
    return alerter;
  };

  beforeAll(async () => {
    writeFileSync(
      rulesFile,
      `rules:
  - name: container-died
    source: events
    when: 'event.action == "die" && !(event.attrs["exitCode"] in ["0", "143"])'
    severity: critical
    labels: { team: ops }
    annotations: { summary: '{{ .container }} on {{ .host }} exited with {{ .attrs.exitCode }}' }
    resolve_after: 3s
  - name: restart-loop
    source: events
    when: 'event.action == "restart"'
    count: { at_least: 3, within: 1m }
    resolve_after: 3s
  - name: high-cpu
    source: stats
    when: 'stats.cpu_percent > 90'
    for: 20s
    keep_firing_for: 10s
  - name: agent-silent
    source: agents
    when: 'agent_id == "${SILENT_AGENT}"'
    absent_for: 3s
  - name: oom-restart
    source: events
    when: 'event.action == "oom"'
    action: { command: RESTART, cooldown: 1m, max_attempts: 3 }
    resolve_after: 2s
`,
    );
    receiver = await WebhookReceiver.start<WebhookBody>();
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix, GATEWAY_ACTIVITY_INTERVAL_MS: '500' });
    await alertLog.start();
    await startOneAlerter('alerter-a');
  }, 120_000);

  afterAll(async () => {
    agents.forEach((a) => a.kill());
    for (const a of alerters) await a.close().catch(() => undefined);
    await gateway?.close();
    await receiver?.close();
    await alertLog.stop();
  });

  const connect = async (key: string, host: string) => {
    const agent = await new CommandAgent(key, host).connect(gateway.grpcPort);
    agents.push(agent);
    return agent;
  };
  /** Webhook alerts received for a rule (and container), in arrival order, as `status` strings. */
  const pages = (rule: string, container?: string) =>
    receiver
      .bodies()
      .flatMap((b) => b.alerts)
      .filter(
        (a) => a.labels.alertname === rule && (container === undefined || a.labels.container === container),
      )
      .map((a) => a.status);
  const transitions = (rule: string, container?: string) =>
    alertLog.items
      .map((r) => r.transition)
      .filter((t): t is alertspb.AlertTransition => t !== undefined)
      .filter((t) => t.ruleName === rule && (container === undefined || t.containerName === container))
      .map((t) => alertspb.AlertState[t.state].replace('ALERT_STATE_', '').toLowerCase());

  it('an unexpected exit fires with its labels and annotations, and resolves after the quiet period', async () => {
    const alpha = await connect(KEY.alpha, 'host-1');
    alpha.event('die', 'c0ffee000001aaaa', 'web', { exitCode: '137' }); // killed: not "0"/"143"
    alpha.event('die', 'db0000000002bbbb', 'db', { exitCode: '0' }); // clean exit: no alert
    const firing = await receiver.waitFor((b) =>
      b.alerts.some((a) => a.labels.alertname === 'container-died'),
    );
    const alert = firing.body.alerts[0];
    expect(firing.body.status).toBe('firing');
    expect(alert.labels).toMatchObject({
      alertname: 'container-died',
      severity: 'critical',
      team: 'ops',
      container: 'web',
      host: 'host-1',
      agent_id: alpha.agentId,
    });
    expect(alert.annotations.summary).toBe('web on host-1 exited with 137');
    await eventually(
      async () => expect(pages('container-died', 'web')).toEqual(['firing', 'resolved']),
      20_000,
    );
    expect(pages('container-died', 'db')).toEqual([]);
  }, 60_000);

  it('high-cpu in event time with out-of-order samples: pending, firing after `for`, no flap within keep_firing_for, resolved', async () => {
    const alpha = agents[0];
    const t0 = Date.now() - 5 * 60_000;
    const cpu = (offsetS: number, value: number) =>
      alpha.stats('cace00000003cccc', 'cache', value, t0 + offsetS * 1000);
    cpu(0, 95);
    cpu(10, 96);
    await eventually(async () => expect(transitions('high-cpu', 'cache')).toEqual(['pending']));
    cpu(5, 97); // late, within the bound: inserted in order
    cpu(15, 30); // false: the pending alert ends before its 20 s
    cpu(21, 95); // true again: pending from 21 s
    cpu(30, 95);
    cpu(42, 95); // true from 21 on: fires at 41+
    await eventually(async () => expect(transitions('high-cpu', 'cache')).toContain('firing'));
    cpu(45, 20); // false: keep firing 10 s
    cpu(50, 99); // true again within keep_firing_for: still firing, no second page
    cpu(55, 20);
    cpu(70, 20); // false for 15 s ≥ 10 s: resolved
    await eventually(async () => expect(pages('high-cpu', 'cache')).toEqual(['firing', 'resolved']), 20_000);
    expect(transitions('high-cpu', 'cache').filter((s) => s === 'firing')).toHaveLength(1);
  }, 60_000);

  it('a restart loop fires on the third restart within the window, late events included', async () => {
    const alpha = agents[0];
    const now = Date.now();
    alpha.event('restart', 'db0000000002bbbb', 'db', {}, now - 30_000);
    alpha.event('restart', 'db0000000002bbbb', 'db', {}, now - 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(pages('restart-loop', 'db')).toEqual([]);
    alpha.event('restart', 'db0000000002bbbb', 'db', {}, now - 20_000); // late, inside the minute
    await eventually(async () => expect(pages('restart-loop', 'db')).toEqual(['firing']));
  }, 60_000);

  it('a silent agent fires, and resolves when it is heard of again', async () => {
    const beta = await connect(KEY.beta, 'silent-host');
    expect(beta.agentId).toBe(SILENT_AGENT);
    await beta.disconnect();
    await eventually(async () => expect(pages('agent-silent')).toEqual(['firing']), 20_000);
  }, 60_000);

  it('a restarted alerter neither pages again for an alert still firing nor loses it', async () => {
    const before = receiver.received.length;
    const old = alerters.shift()!;
    await old.close();
    await startOneAlerter('alerter-b');
    await new Promise((r) => setTimeout(r, 3000)); // rebuilt and ticking
    expect(pages('agent-silent')).toEqual(['firing']);
    expect(
      receiver.received
        .slice(before)
        .flatMap((r) => r.body.alerts.map((a) => `${a.labels.alertname}:${a.status}`)),
    ).not.toContain('agent-silent:firing');
    const beta = await connect(KEY.beta, 'silent-host');
    beta.stats('abc', 'x', 1);
    await eventually(async () => expect(pages('agent-silent')).toEqual(['firing', 'resolved']), 20_000);
  }, 90_000);

  it('silences from the silences topic keep matching alerts off the webhook', async () => {
    const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const silence = alertspb.SilenceRecord.fromPartial({
      id: 'silence-db',
      matchers: [
        { name: 'alertname', value: 'container-died', isEqual: true },
        { name: 'container', value: 'd.*', isRegex: true, isEqual: true },
      ],
      startsAtMs: String(Date.now() - 1000),
      endsAtMs: String(Date.now() + 600_000),
      createdBy: 'test',
    });
    await producer.send({
      topic: `${prefix}silences`,
      messages: [{ key: silence.id, value: Buffer.from(alertspb.SilenceRecord.encode(silence).finish()) }],
    });
    await producer.disconnect();
    await new Promise((r) => setTimeout(r, 1000));
    const alpha = agents[0];
    alpha.event('die', 'db0000000002bbbb', 'db', { exitCode: '1' });
    await eventually(async () => expect(transitions('container-died', 'db')).toContain('firing'));
    await eventually(async () =>
      expect(alertLog.items.some((r) => r.notified?.detail === 'silenced by silence-db')).toBe(true),
    );
    expect(pages('container-died', 'db')).toEqual([]);
  }, 60_000);

  it('remediation sends a RESTART through the command loop, once per cooldown', async () => {
    const alpha = agents[0];
    alpha.event('oom', 'cace00000003cccc', 'cache');
    await eventually(async () =>
      expect(alpha.commands).toContainEqual(expect.objectContaining({ targetContainer: 'cace00000003cccc' })),
    );
    const remediations = () => alertLog.items.filter((r) => r.remediation?.ruleName === 'oom-restart');
    await eventually(async () => expect(remediations()).toHaveLength(1));
    // resolved after its quiet period, fires again: within the cooldown, no second command
    await eventually(
      async () => expect(pages('oom-restart', 'cache')).toEqual(['firing', 'resolved']),
      20_000,
    );
    alpha.event('oom', 'cace00000003cccc', 'cache');
    await eventually(async () => expect(pages('oom-restart', 'cache')).toHaveLength(3));
    await new Promise((r) => setTimeout(r, 1500));
    expect(remediations()).toHaveLength(1);
    expect(alpha.commands.filter((c) => c.targetContainer === 'cace00000003cccc')).toHaveLength(1);
    const commandId = remediations()[0].remediation!.commandId;
    expect(commandId).toMatch(/^[0-9a-f-]{36}$/);
    expect(commandspb.CommandAction.COMMAND_ACTION_RESTART).toBe(3);
  }, 60_000);

  it('a broken rule file is refused and the rules before it stay; a rule failing at run time is counted, the others go on', async () => {
    const metric = async (name: string) => {
      const text = await (await fetch(`http://127.0.0.1:${alerters[0].httpPort}/metrics`)).text();
      return Number(new RegExp(`^${name}(\\{[^}]*\\})? (\\d+)$`, 'm').exec(text)?.[2] ?? 0);
    };
    const good = readFileSync(rulesFile, 'utf8');
    writeFileSync(rulesFile, `${good}\n  - name: broken\n    source: events\n    when: 'event.action =='\n`);
    await eventually(async () =>
      expect(await metric('alerter_rules_file_refused_total')).toBeGreaterThanOrEqual(1),
    );
    expect(await metric('alerter_rules_file_ok')).toBe(0);
    const alpha = agents[0];
    alpha.event('die', 'c0ffee000001aaaa', 'api', { exitCode: '5' });
    await eventually(async () => expect(pages('container-died', 'api')).toContain('firing')); // old rules in force

    writeFileSync(
      rulesFile,
      `${good}\n  - name: fails-at-run-time\n    source: events\n    when: 'event.attrs["no-such-attr"] == "x"'\n`,
    );
    await eventually(async () => expect(await metric('alerter_rules_file_ok')).toBe(1));
    alpha.event('die', 'c0ffee000001aaaa', 'worker', { exitCode: '6' });
    await eventually(async () => expect(pages('container-died', 'worker')).toContain('firing'));
    const text = await (await fetch(`http://127.0.0.1:${alerters[0].httpPort}/metrics`)).text();
    expect(text).toMatch(/alerter_rule_errors_total\{rule="fails-at-run-time"[^}]*\} [1-9]/);
    writeFileSync(rulesFile, good);
  }, 60_000);

  it('two instances split the partitions; the one left takes them all over, nothing paged twice', async () => {
    await startOneAlerter('alerter-c');
    await new Promise((r) => setTimeout(r, 3000)); // rebalanced and rebuilt
    // two hosts per input partition (3), so that both instances own some of them
    const partitionOf = (host: string) =>
      (murmur2(Buffer.from(`${agents[0].agentId}/${host}`)) & 0x7fffffff) % 3;
    const hosts: string[] = [];
    for (let i = 0; hosts.length < 6; i++) {
      const h = `h-${i}`;
      if (hosts.filter((x) => partitionOf(x) === partitionOf(h)).length < 2) hosts.push(h);
    }
    const spread = await Promise.all(hosts.map((h) => connect(KEY.alpha, h)));
    const statuses = (h: string) =>
      receiver
        .bodies()
        .flatMap((b) => b.alerts)
        .filter((a) => a.labels.alertname === 'container-died' && a.labels.host === h)
        .map((a) => a.status);
    spread.forEach((a) => a.event('die', 'c0ffee000001aaaa', 'web', { exitCode: '2' }));
    await eventually(async () => expect(hosts.map(statuses)).toEqual(hosts.map(() => ['firing'])), 20_000);
    const writers = new Set(
      alertLog.items.filter((r) => r.transition?.host.startsWith('h-')).map((r) => r.writer),
    );
    expect([...writers].sort()).toEqual(['alerter-b', 'alerter-c']);
    await alerters.shift()!.close(); // alerter-b leaves while its alerts fire; alerter-c takes every partition
    await eventually(
      async () => expect(hosts.map(statuses)).toEqual(hosts.map(() => ['firing', 'resolved'])),
      30_000,
    );
    spread.forEach((a) => a.event('die', 'c0ffee000001aaaa', 'web', { exitCode: '4' }));
    await eventually(
      async () => expect(hosts.map(statuses)).toEqual(hosts.map(() => ['firing', 'resolved', 'firing'])),
      20_000,
    );
  }, 120_000);
});
