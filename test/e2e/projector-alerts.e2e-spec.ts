import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { alertspb, HEADER, SCHEMA, topicsFor } from '@app/contracts';
import type { RunningProjector } from '../../apps/projector/src/projector.app';
import { readTopics, testKafka, uncommittedRecords } from '../support/kafka-records';
import { uniqueTopicPrefix } from '../support/test-gateway';
import {
  eventually,
  postSql,
  projectionGroupId,
  sql,
  startTestProjector,
  tempClickHousePath,
  TEST_SQL_TOKEN,
} from '../support/test-projector';

const { AlertState } = alertspb;
interface LogEntry {
  recordId?: string;
  emittedAtMs?: string;
  writer?: string;
  transition?: Partial<alertspb.AlertTransition>;
  notified?: Partial<alertspb.AlertNotified>;
  remediation?: Partial<alertspb.AlertRemediation>;
}
const TOKEN = { acme: 'sql_tenantAcmeToken00000000000001', globex: 'sql_tenantGlobexToken000000000002' };

/** The README's example queries (the SQL block of "SQL for data teams"), without comments. */
function readmeQueries(): string[] {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### SQL for data teams'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)![1];
  return block
    .split(';')
    .map((q) => q.replace(/--[^\n]*/g, '').trim())
    .filter(Boolean);
}

describe('projector: the alerts topic to the alerts table (real Kafka, embedded ClickHouse)', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  const now = Date.now();
  let projector: RunningProjector;
  let producer: Producer;
  let sequence = 0;

  const alert = (tenant: string, rule: string, n: number) => ({
    fingerprint: `fp_${tenant}_${rule}_${n}`,
    ruleName: rule,
    tenantId: tenant,
    agentId: `ag_${tenant}`,
    host: `docker-${tenant}`,
    containerId: `${tenant}-c${n}`.padEnd(64, '0'),
    containerName: `web-${n}`,
    labels: { alertname: rule, severity: rule === 'high-cpu' ? 'critical' : 'warning', tenant },
    annotations: { summary: `${rule} on web-${n}` },
  });
  type Alert = ReturnType<typeof alert>;
  const log = (a: Alert, entry: LogEntry, recordId = `rec_${sequence++}`) => ({
    key: a.fingerprint,
    value: Buffer.from(
      alertspb.AlertLogRecord.encode(
        alertspb.AlertLogRecord.fromPartial<LogEntry>({
          recordId,
          emittedAtMs: String(now),
          writer: 'alerter-e2e',
          ...entry,
        }),
      ).finish(),
    ),
    headers: {
      [HEADER.tenantId]: a.tenantId,
      [HEADER.agentId]: a.agentId,
      [HEADER.messageId]: recordId,
      [HEADER.schema]: SCHEMA.alertLog,
    },
  });
  const transition = (
    a: Alert,
    state: alertspb.AlertState,
    atMs: number,
    startsAtMs: number,
    more: Partial<alertspb.AlertTransition> = {},
  ) => log(a, { transition: { ...a, state, atMs: String(atMs), startsAtMs: String(startsAtMs), ...more } });

  const cpu1 = alert('acme', 'high-cpu', 1);
  const cpu2 = alert('acme', 'high-cpu', 2);
  const oom = alert('globex', 'oom-killed', 1);

  beforeAll(async () => {
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_PROJECTIONS: 'alerts',
      PROJECTOR_SQL_TOKENS: `*:${TEST_SQL_TOKEN},acme:${TOKEN.acme},globex:${TOKEN.globex}`,
    });
    producer = testKafka().producer();
    await producer.connect();
    const firing = transition(cpu1, AlertState.ALERT_STATE_FIRING, now - 50_000, now - 50_000, {
      value: '97.5',
    });
    await producer.send({
      topic: topics.alerts,
      acks: -1,
      messages: [
        transition(cpu1, AlertState.ALERT_STATE_PENDING, now - 60_000, now - 60_000),
        firing,
        // the same record twice (a producer retry), and the same transition emitted again later
        firing,
        transition(cpu1, AlertState.ALERT_STATE_FIRING, now - 40_000, now - 50_000),
        // what was done about it: no rows
        log(cpu1, { notified: { fingerprint: cpu1.fingerprint, channel: 'webhook', ok: true, attempts: 1 } }),
        log(cpu1, {
          remediation: { fingerprint: cpu1.fingerprint, ruleName: 'high-cpu', commandId: 'c1', attempt: 1 },
        }),
        // poison: undecodable bytes, and a state this version does not know
        { key: cpu1.fingerprint, value: Buffer.from([0x0a, 0xff, 0xff, 0x01]), headers: firing.headers },
        transition(cpu1, 42 as alertspb.AlertState, now - 45_000, now - 50_000),
        transition(cpu1, AlertState.ALERT_STATE_RESOLVED, now - 20_000, now - 50_000, {
          endsAtMs: String(now - 20_000),
        }),
        transition(cpu2, AlertState.ALERT_STATE_FIRING, now - 30_000, now - 30_000),
        transition(oom, AlertState.ALERT_STATE_FIRING, now - 59_000, now - 59_000),
        transition(oom, AlertState.ALERT_STATE_RESOLVED, now - 58_000, now - 59_000, {
          endsAtMs: String(now - 58_000),
        }),
      ],
    });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await projector?.close();
  });

  it('stores one row per transition, each once, and nothing for notifications or remediation', async () => {
    await eventually(async () =>
      expect(await uncommittedRecords(projectionGroupId(prefix, 'alerts'), topics.alerts)).toBe(0),
    );
    const rows = await sql<Record<string, unknown>>(
      projector.httpPort,
      `SELECT fingerprint, state, toUnixTimestamp64Milli(ts) AS ms, toUnixTimestamp64Milli(starts_at) AS starts,
              toUnixTimestamp64Milli(ends_at) AS ends, severity, tenant_id, agent_id, value
       FROM alerts ORDER BY fingerprint, ts`,
    );
    expect(rows.map((r) => `${String(r.fingerprint)} ${String(r.state)}`)).toEqual([
      'fp_acme_high-cpu_1 pending',
      'fp_acme_high-cpu_1 firing',
      'fp_acme_high-cpu_1 resolved',
      'fp_acme_high-cpu_2 firing',
      'fp_globex_oom-killed_1 firing',
      'fp_globex_oom-killed_1 resolved',
    ]);
    // the first copy of a transition is the one kept
    expect(rows[1]).toMatchObject({ severity: 'critical', value: '97.5', ends: null });
    expect(Number(rows[1].ms)).toBe(now - 50_000);
    expect(Number(rows[2].ends)).toBe(now - 20_000);
    const [full] = await sql<Record<string, unknown>>(
      projector.httpPort,
      `SELECT host, container_id, container_name, rule_name, labels['team'] AS none, labels['tenant'] AS tenant,
              annotations['summary'] AS summary, writer, record_id, toUnixTimestamp64Milli(emitted_at) AS emitted
       FROM alerts WHERE fingerprint = 'fp_acme_high-cpu_2'`,
    );
    expect(full).toMatchObject({
      host: 'docker-acme',
      container_id: cpu2.containerId,
      container_name: 'web-2',
      rule_name: 'high-cpu',
      none: '',
      tenant: 'acme',
      summary: 'high-cpu on web-2',
      writer: 'alerter-e2e',
      record_id: expect.stringMatching(/^rec_/),
    });
    expect(Number(full.emitted)).toBe(now);
  });

  it('sends the records it cannot map to the DLQ and goes on', async () => {
    const dlq = await readTopics(
      [topics.dlq],
      (r) => r.filter((x) => x.headers[HEADER.dlqSource] === 'projector:alerts').length >= 2,
    );
    const mine = dlq.filter((x) => x.headers[HEADER.dlqSource] === 'projector:alerts');
    expect(mine).toHaveLength(2);
    for (const record of mine) {
      expect(record.headers[HEADER.dlqReason]).toBe('projection_failed');
      expect(record.headers[HEADER.dlqDetail]).toMatch(
        new RegExp(`^${topics.alerts.replace(/\./g, '\\.')}\\[\\d+\\]@\\d+: `),
      );
    }
    const details = mine.map((r) => r.headers[HEADER.dlqDetail]).join('\n');
    expect(details).toMatch(/undecodable AlertLogRecord/);
    expect(details).toMatch(/unknown alert state 42/);
  });

  it("shows a tenant's token only its own alerts", async () => {
    await eventually(async () =>
      expect(await sql(projector.httpPort, 'SELECT count() AS n FROM alerts')).toEqual([{ n: '6' }]),
    );
    for (const [tenant, count] of [
      ['acme', 4],
      ['globex', 2],
    ] as const) {
      const rows = await sql<{ tenant_id: string; n: string }>(
        projector.httpPort,
        'SELECT tenant_id, count() AS n FROM alerts GROUP BY tenant_id',
        TOKEN[tenant],
      );
      expect(rows).toEqual([{ tenant_id: tenant, n: String(count) }]);
    }
    const other = await postSql(
      projector.httpPort,
      'SELECT count() FROM containeragent_tenant_globex.alerts',
      {
        token: TOKEN.acme,
      },
    );
    expect(other.status).toBe(403);
  });

  it("answers the README's alert queries", async () => {
    const queries = readmeQueries().filter((q) => /\bFROM alerts\b/.test(q));
    expect(queries).toHaveLength(2);
    const [perRule, timeToResolve] = queries;
    const day = new Date(now - 50_000).toISOString().slice(0, 10);
    expect(await sql(projector.httpPort, perRule, TOKEN.acme)).toEqual([
      { day, rule_name: 'high-cpu', severity: 'critical', fired: '2', containers: '2' },
    ]);
    expect(await sql(projector.httpPort, perRule)).toContainEqual(
      expect.objectContaining({ rule_name: 'oom-killed', fired: '1' }),
    );
    expect(await sql(projector.httpPort, timeToResolve)).toEqual([
      { rule_name: 'high-cpu', resolved: '1', mean_s_to_resolve: 30, max_s_to_resolve: 30 },
      { rule_name: 'oom-killed', resolved: '1', mean_s_to_resolve: 1, max_s_to_resolve: 1 },
    ]);
    expect(await sql(projector.httpPort, timeToResolve, TOKEN.globex)).toEqual([
      { rule_name: 'oom-killed', resolved: '1', mean_s_to_resolve: 1, max_s_to_resolve: 1 },
    ]);
  });
});
