import type { Producer } from 'kafkajs';
import { parseRule } from '@app/alerting';
import { alertspb, commandspb, HEADER, SCHEMA } from '@app/contracts';
import type { RunningControlApi } from '../../apps/control-api/src/control-api.app';
import { eventually } from '../support/eventually';
import { CollectedRecord, readTopics, testKafka } from '../support/kafka-records';
import { api, ApiAnswer, startTestControlApi, TOKEN } from '../support/test-control-api';
import { uniqueTopicPrefix } from '../support/test-gateway';

const { AlertState } = alertspb;
const CONTROL_API_ID = 'control-api-alerting-e2e';
const ACME_AGENT = 'ag_acacacacacacacacacac';
const GLOBEX_AGENT = 'ag_01010101010101010101';
const HOUR = 3_600_000;

/** One field of every item of a list answer. */
const field = (answer: ApiAnswer, name: string): string[] =>
  (answer.body as { items: Record<string, string>[] }).items.map((item) => item[name]);

/**
 * Alert rules, silences and alerts through the control API against a real broker: rules and
 * silences are read back from their topics; alerts are what this test publishes as an alerter
 * would (transitions, a notification, a remediation), with the remediation command's outcome
 * published as a gateway would.
 */
describe('control-api: alert rules, silences, alerts', () => {
  const prefix = uniqueTopicPrefix();
  const topics = { rules: `${prefix}alert-rules`, silences: `${prefix}silences`, alerts: `${prefix}alerts` };
  let control: RunningControlApi;
  let producer: Producer;
  const call = (method: string, path: string, token: string | undefined, body?: unknown) =>
    api(control.httpPort, method, path, token, body);
  const highCpu = {
    source: 'stats',
    when: 'stats.cpu_percent > 90.0',
    for: '5m',
    severity: 'critical',
    labels: { team: 'web' },
    annotations: { summary: 'CPU above 90%' },
    action: { command: 'RESTART', cooldown: '10m', max_attempts: 2 },
  };

  beforeAll(async () => {
    control = await startTestControlApi({ KAFKA_TOPIC_PREFIX: prefix, CONTROL_API_ID });
    await eventually(async () => {
      expect((await fetch(`http://127.0.0.1:${control.httpPort}/readyz`)).status).toBe(200);
    }, 20_000);
    producer = testKafka().producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await control?.close();
  });

  const until = (topic: string, key: string, match: (r: CollectedRecord) => boolean = () => true) =>
    readTopics([topic], (all) => all.some((r) => r.key === key && match(r))).then((all) =>
      all.filter((r) => r.key === key),
    );

  describe('alert rules', () => {
    it('PUT a new rule → 201; the record on alert-rules decodes to it; PUT again → 200, revision 2', async () => {
      const created = await call('PUT', '/v1/alert-rules/high-cpu', TOKEN.acme, highCpu);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'high-cpu',
        source: 'stats',
        when: 'stats.cpu_percent > 90.0',
        for: '5m',
        severity: 'critical',
        labels: { team: 'web' },
        action: { command: 'RESTART', cooldown: '10m', max_attempts: 2 },
        tenant: 'acme',
        revision: 1,
        updated_by: expect.stringMatching(/^tok_/),
      });
      const [record] = await until(topics.rules, 'high-cpu');
      const decoded = alertspb.AlertRuleRecord.decode(record.value);
      expect(decoded).toMatchObject({
        actor: created.body.updated_by,
        revision: '1',
        rule: {
          name: 'high-cpu',
          source: 'stats',
          when: 'stats.cpu_percent > 90.0',
          forMs: '300000',
          tenantId: 'acme',
          labels: { team: 'web' },
          action: { command: 'RESTART', cooldownMs: '600000', maxAttempts: 2 },
        },
      });
      expect(record.headers).toMatchObject({ [HEADER.tenantId]: 'acme', [HEADER.schema]: SCHEMA.alertRule });

      const replaced = await call('PUT', '/v1/alert-rules/high-cpu', TOKEN.acme, {
        ...highCpu,
        name: 'high-cpu',
        for: '2m',
      });
      expect([replaced.status, replaced.body.revision, replaced.body.for]).toEqual([200, 2, '2m']);
      const got = await call('GET', '/v1/alert-rules/high-cpu', TOKEN.acme);
      expect([got.status, got.body.revision]).toEqual([200, 2]);
    });

    it("a bad CEL condition → 400 naming /body/when with CEL's own message", async () => {
      const bad = { ...highCpu, when: 'stats.cpu_percent > ' };
      const answer = await call('PUT', '/v1/alert-rules/bad-cel', TOKEN.acme, bad);
      const library = parseRule({ ...bad, name: 'bad-cel' });
      if (library.ok) throw new Error('the library accepted a broken condition');
      expect(answer.type).toContain('application/problem+json');
      expect([answer.status, answer.body.code, answer.body.field]).toEqual([
        400,
        'invalid_request',
        '/body/when',
      ]);
      expect(answer.body.detail).toContain(library.errors[0].message);
      const unknownVariable = await call('PUT', '/v1/alert-rules/bad-cel', TOKEN.acme, {
        ...highCpu,
        when: 'cpu_percent > 90.0',
      });
      expect([unknownVariable.status, unknownVariable.body.field]).toEqual([400, '/body/when']);
      expect(unknownVariable.body.detail).toContain("undeclared reference to 'cpu_percent'");
      expect((await call('GET', '/v1/alert-rules/bad-cel', TOKEN.acme)).status).toBe(404);
    });

    it.each([
      ['an unknown field', { ...highCpu, frobnicate: true }, '/body/frobnicate'],
      ['a field of another source', { ...highCpu, absent_for: '5m' }, '/body/absent_for'],
      ['a bad duration', { ...highCpu, for: 'soon' }, '/body/for'],
      ['a reserved label', { ...highCpu, labels: { severity: 'x' } }, '/body/labels/severity'],
      ['another name in the body', { ...highCpu, name: 'other' }, '/body/name'],
      ['a body that is not an object', [1, 2], '/body'],
      ['another tenant', { ...highCpu, tenant: 'globex' }, '/body/tenant'],
    ])('%s → 400', async (_label, body, field) => {
      const answer = await call('PUT', '/v1/alert-rules/checked', TOKEN.acme, body);
      expect([answer.status, answer.body.field]).toEqual([400, field]);
      expect(answer.body.code).toBe(field === '/body/tenant' ? 'tenant_not_allowed' : 'invalid_request');
    });

    it('a bad name in the path → 400; a body over the limit → 413', async () => {
      const badName = await call('PUT', '/v1/alert-rules/Not_Valid!', TOKEN.acme, highCpu);
      expect([badName.status, badName.body.field]).toEqual([400, '/path/name']);
      const big = await call('PUT', '/v1/alert-rules/big', TOKEN.acme, {
        ...highCpu,
        annotations: { text: 'x'.repeat(20_000) },
      });
      expect([big.status, big.body.code]).toEqual([413, 'payload_too_large']);
    });

    it("tenant isolation: globex cannot see, list, overwrite or delete acme's rule; an operator rule is global", async () => {
      await call('PUT', '/v1/alert-rules/acme-only', TOKEN.acme, highCpu);
      for (const [method, body] of [['GET'], ['PUT', highCpu], ['DELETE']] as const) {
        const answer = await call(method, '/v1/alert-rules/acme-only', TOKEN.globex, body);
        expect([method, answer.status, answer.body.code]).toEqual([method, 404, 'not_found']);
      }
      const listed = await call('GET', '/v1/alert-rules?limit=500', TOKEN.globex);
      expect(field(listed, 'name')).not.toContain('acme-only');
      const global = await call('PUT', '/v1/alert-rules/agent-silent', TOKEN.operator, {
        source: 'agents',
        absent_for: '2m',
      });
      expect([global.status, global.body.tenant, global.body.absent_for]).toEqual([201, null, '2m']);
      expect((await call('GET', '/v1/alert-rules/agent-silent', TOKEN.acme)).status).toBe(404);
      const forGlobex = await call('PUT', '/v1/alert-rules/globex-cpu', TOKEN.operator, {
        ...highCpu,
        tenant: 'globex',
      });
      expect([forGlobex.status, forGlobex.body.tenant]).toEqual([201, 'globex']);
      expect((await call('GET', '/v1/alert-rules/globex-cpu', TOKEN.globex)).status).toBe(200);
      const all = await call('GET', '/v1/alert-rules?limit=500', TOKEN.operator);
      expect(field(all, 'name')).toEqual(
        expect.arrayContaining(['acme-only', 'agent-silent', 'globex-cpu', 'high-cpu']),
      );
    });

    it('lists by name, page by page', async () => {
      for (const n of ['page-a', 'page-b', 'page-c'])
        await call('PUT', `/v1/alert-rules/${n}`, TOKEN.globex, highCpu);
      const first = await call('GET', '/v1/alert-rules?limit=2', TOKEN.globex);
      const second = await call(
        'GET',
        `/v1/alert-rules?limit=2&cursor=${first.body.next_cursor}`,
        TOKEN.globex,
      );
      const names = [...first.body.items, ...second.body.items].map((r: { name: string }) => r.name);
      expect(names).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
      expect(new Set(names).size).toBe(names.length);
      const bad = await call('GET', '/v1/alert-rules?cursor=IQ', TOKEN.globex);
      expect([bad.status, bad.body.field]).toEqual([400, '/query/cursor']);
    });

    it('DELETE → 204 and a tombstone on alert-rules; then 404', async () => {
      await call('PUT', '/v1/alert-rules/short-lived', TOKEN.acme, highCpu);
      const deleted = await call('DELETE', '/v1/alert-rules/short-lived', TOKEN.acme);
      expect(deleted.status).toBe(204);
      const records = await until(topics.rules, 'short-lived', (r) => r.value.length === 0);
      expect(records.map((r) => r.value.length > 0)).toEqual([true, false]);
      expect((await call('GET', '/v1/alert-rules/short-lived', TOKEN.acme)).status).toBe(404);
      expect((await call('DELETE', '/v1/alert-rules/short-lived', TOKEN.acme)).status).toBe(404);
    });
  });

  describe('silences', () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const silence = (extra: object = {}) => ({
      matchers: [
        { name: 'alertname', value: 'high-cpu' },
        { name: 'host', value: 'docker-.*', is_regex: true },
      ],
      ends_at: iso(Date.now() + HOUR),
      comment: 'deploying',
      ...extra,
    });

    it('POST → 201 active, on the silences topic; GET; DELETE expires it (deleted, ended) → 204', async () => {
      const created = await call('POST', '/v1/silences', TOKEN.acme, silence());
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        tenant: 'acme',
        state: 'active',
        comment: 'deploying',
        deleted: false,
        created_by: expect.stringMatching(/^tok_/),
        matchers: [
          { name: 'alertname', value: 'high-cpu', is_regex: false, is_equal: true },
          { name: 'host', value: 'docker-.*', is_regex: true, is_equal: true },
        ],
      });
      const id = created.body.id as string;
      const [record] = await until(topics.silences, id);
      expect(alertspb.SilenceRecord.decode(record.value)).toMatchObject({
        id,
        tenantId: 'acme',
        deleted: false,
        endsAtMs: String(Date.parse(String(created.body.ends_at))),
      });
      expect((await call('GET', `/v1/silences/${id}`, TOKEN.acme)).body.id).toBe(id);
      expect((await call('GET', `/v1/silences/${id}`, TOKEN.globex)).status).toBe(404);
      expect((await call('DELETE', `/v1/silences/${id}`, TOKEN.globex)).status).toBe(404);
      const active = await call('GET', '/v1/silences?state=active', TOKEN.acme);
      expect(field(active, 'id')).toContain(id);
      expect((await call('GET', '/v1/silences', TOKEN.globex)).body.items).toEqual([]);

      expect((await call('DELETE', `/v1/silences/${id}`, TOKEN.acme)).status).toBe(204);
      const got = await call('GET', `/v1/silences/${id}`, TOKEN.acme);
      expect([got.body.state, got.body.deleted]).toEqual(['expired', true]);
      const expired = await call('GET', '/v1/silences?state=expired', TOKEN.operator);
      expect(field(expired, 'id')).toContain(id);
      const records = await until(topics.silences, id, (r) => alertspb.SilenceRecord.decode(r.value).deleted);
      const last = alertspb.SilenceRecord.decode(records[records.length - 1].value);
      expect(Number(last.endsAtMs)).toBeLessThanOrEqual(Date.now());
      // Expiring it again changes nothing.
      expect((await call('DELETE', `/v1/silences/${id}`, TOKEN.acme)).status).toBe(204);
    });

    it('a silence starting later is pending; an operator silence without tenant is global', async () => {
      const later = await call(
        'POST',
        '/v1/silences',
        TOKEN.operator,
        silence({ starts_at: iso(Date.now() + HOUR), ends_at: iso(Date.now() + 2 * HOUR) }),
      );
      expect([later.status, later.body.state, later.body.tenant]).toEqual([201, 'pending', null]);
      const pending = await call('GET', '/v1/silences?state=pending', TOKEN.operator);
      expect(field(pending, 'id')).toEqual([later.body.id]);
      expect((await call('GET', `/v1/silences/${later.body.id}`, TOKEN.acme)).status).toBe(404);
    });

    it.each([
      ['no matcher', { matchers: [] }, '/body/matchers'],
      [
        '33 matchers',
        { matchers: Array.from({ length: 33 }, () => ({ name: 'a', value: 'b' })) },
        '/body/matchers',
      ],
      ['a bad label name', { matchers: [{ name: 'bad-name', value: 'x' }] }, '/body/matchers/0/name'],
      [
        'a regex that does not compile',
        { matchers: [{ name: 'host', value: '(', is_regex: true }] },
        '/body/matchers/0/value',
      ],
      [
        'a regex over 256 characters',
        { matchers: [{ name: 'host', value: 'a'.repeat(257), is_regex: true }] },
        '/body/matchers/0/value',
      ],
      [
        'a nested quantifier',
        { matchers: [{ name: 'host', value: '(a+)+', is_regex: true }] },
        '/body/matchers/0/value',
      ],
      [
        'matchers that match everything',
        { matchers: [{ name: 'host', value: '.*', is_regex: true }] },
        '/body/matchers',
      ],
      ['ends_at before starts_at', { starts_at: iso(Date.now() + 2 * HOUR) }, '/body/ends_at'],
      ['over 90 days', { ends_at: iso(Date.now() + 91 * 24 * HOUR) }, '/body/ends_at'],
      [
        'ends_at in the past',
        { starts_at: iso(Date.now() - 2 * HOUR), ends_at: iso(Date.now() - HOUR) },
        '/body/ends_at',
      ],
      ['no ends_at', { ends_at: undefined }, '/body/ends_at'],
      ['a comment over 1 KiB', { comment: 'é'.repeat(513) }, '/body/comment'],
      ['an unknown field', { creator: 'me' }, '/body/creator'],
    ])('%s → 400', async (_label, extra, field) => {
      const answer = await call('POST', '/v1/silences', TOKEN.acme, silence(extra));
      expect([answer.status, answer.body.code, answer.body.field]).toEqual([400, 'invalid_request', field]);
    });

    it('unknown or malformed ids: 404, 400', async () => {
      const unknown = await call('GET', '/v1/silences/0b7c9d3e-1f2a-4b5c-8d6e-7f8091a2b3c4', TOKEN.operator);
      expect(unknown.status).toBe(404);
      const malformed = await call('DELETE', '/v1/silences/nope', TOKEN.operator);
      expect([malformed.status, malformed.body.field]).toEqual([400, '/path/id']);
      const state = await call('GET', '/v1/silences?state=over', TOKEN.operator);
      expect([state.status, state.body.field]).toEqual([400, '/query/state']);
    });
  });

  describe('alerts', () => {
    const now = Date.now();
    const commandId = '3f0c2a8e-5b7d-4c1e-9a2f-6d8e0b1c2a3f';
    const transition = (
      fingerprint: string,
      tenant: string,
      agentId: string,
      state: alertspb.AlertState,
      atMs: number,
      extra: Partial<alertspb.AlertTransition> = {},
    ) =>
      alertspb.AlertLogRecord.fromPartial({
        recordId: `rec-${fingerprint}-${state}-${atMs}`,
        emittedAtMs: String(atMs),
        writer: 'alerter-e2e',
        transition: {
          fingerprint,
          ruleName: 'high-cpu',
          state,
          atMs: String(atMs),
          startsAtMs: String(now - 60_000),
          labels: { alertname: 'high-cpu', severity: 'critical', tenant },
          annotations: { summary: 'CPU above 90%' },
          tenantId: tenant,
          agentId,
          host: 'h1',
          containerId: 'c'.repeat(64),
          containerName: 'web',
          value: '97.5',
          ...extra,
        },
      });
    const publish = async (...records: alertspb.AlertLogRecord[]) => {
      await producer.send({
        topic: topics.alerts,
        acks: -1,
        messages: records.map((r) => ({
          key: r.transition?.fingerprint ?? r.notified?.fingerprint ?? r.remediation?.fingerprint,
          value: Buffer.from(alertspb.AlertLogRecord.encode(r).finish()),
          headers: { [HEADER.schema]: SCHEMA.alertLog, [HEADER.messageId]: r.recordId },
        })),
      });
    };
    const commandStatus = async (status: commandspb.CommandStatus, atMs: number, detail = '') => {
      const event = commandspb.CommandStatusChanged.fromPartial({
        eventId: `${commandId}-${status}`,
        commandId,
        status,
        atMs: String(atMs),
        detail,
        writer: 'gw-test',
        command: {
          commandId,
          tenantId: 'acme',
          agentId: ACME_AGENT,
          host: 'h1',
          container: 'web',
          containerId: 'c'.repeat(64),
          containerName: 'web',
          action: commandspb.CommandAction.COMMAND_ACTION_RESTART,
          requestedAtMs: String(now - 30_000),
          expiresAtMs: String(now + HOUR),
          requestedBy: 'alerter:high-cpu',
        },
      });
      await producer.send({
        topic: `${prefix}command-status`,
        acks: -1,
        messages: [
          { key: commandId, value: Buffer.from(commandspb.CommandStatusChanged.encode(event).finish()) },
        ],
      });
    };

    it('lists firing alerts with their notifications and the outcome of their remediation; resolved ones on request', async () => {
      await publish(
        transition('fp-acme-1', 'acme', ACME_AGENT, AlertState.ALERT_STATE_PENDING, now - 60_000),
        transition('fp-acme-1', 'acme', ACME_AGENT, AlertState.ALERT_STATE_FIRING, now - 40_000),
        alertspb.AlertLogRecord.fromPartial({
          recordId: 'rec-notified',
          emittedAtMs: String(now - 39_000),
          notified: {
            fingerprint: 'fp-acme-1',
            channel: 'webhook',
            state: AlertState.ALERT_STATE_FIRING,
            ok: true,
            attempts: 2,
          },
        }),
        alertspb.AlertLogRecord.fromPartial({
          recordId: 'rec-remediation',
          emittedAtMs: String(now - 30_000),
          remediation: {
            fingerprint: 'fp-acme-1',
            ruleName: 'high-cpu',
            commandId,
            attempt: 1,
            command: 'RESTART',
          },
        }),
        transition('fp-globex-1', 'globex', GLOBEX_AGENT, AlertState.ALERT_STATE_FIRING, now - 20_000),
        // An alerter restarted and emitted an older transition again: ignored.
        transition('fp-acme-1', 'acme', ACME_AGENT, AlertState.ALERT_STATE_PENDING, now - 60_000),
      );
      await commandStatus(commandspb.CommandStatus.COMMAND_STATUS_PENDING, now - 30_000);
      await commandStatus(
        commandspb.CommandStatus.COMMAND_STATUS_SUCCEEDED,
        now - 25_000,
        'container restarted',
      );

      await eventually(async () => {
        const firing = await call('GET', '/v1/alerts?state=firing', TOKEN.acme);
        expect(firing.status).toBe(200);
        expect(firing.body.items).toEqual([
          expect.objectContaining({
            fingerprint: 'fp-acme-1',
            rule: 'high-cpu',
            state: 'firing',
            tenant: 'acme',
            agent_id: ACME_AGENT,
            container_name: 'web',
            value: '97.5',
            labels: expect.objectContaining({ severity: 'critical' }),
            starts_at: new Date(now - 60_000).toISOString(),
            notifications: [
              expect.objectContaining({ channel: 'webhook', state: 'firing', ok: true, attempts: 2 }),
            ],
            remediation: [
              {
                command_id: commandId,
                attempt: 1,
                command: 'RESTART',
                status: 'succeeded',
                detail: 'container restarted',
              },
            ],
          }),
        ]);
      }, 10_000);
      const all = await call('GET', '/v1/alerts', TOKEN.operator);
      expect(field(all, 'fingerprint').sort()).toEqual(['fp-acme-1', 'fp-globex-1']);
      const byAgent = await call('GET', `/v1/alerts?agent_id=${GLOBEX_AGENT}`, TOKEN.operator);
      expect(field(byAgent, 'fingerprint')).toEqual(['fp-globex-1']);
      expect((await call('GET', '/v1/alerts?rule=other', TOKEN.operator)).body.items).toEqual([]);
      expect((await call('GET', '/v1/alerts/fp-acme-1', TOKEN.globex)).status).toBe(404);
      expect((await call('GET', '/v1/alerts/fp-globex-1', TOKEN.globex)).body.state).toBe('firing');

      await publish(
        transition('fp-acme-1', 'acme', ACME_AGENT, AlertState.ALERT_STATE_RESOLVED, now - 10_000, {
          endsAtMs: String(now - 10_000),
        }),
      );
      await eventually(async () => {
        const got = await call('GET', '/v1/alerts/fp-acme-1', TOKEN.acme);
        expect(got.body).toMatchObject({ state: 'resolved', ends_at: new Date(now - 10_000).toISOString() });
      }, 10_000);
      expect((await call('GET', '/v1/alerts', TOKEN.acme)).body.items).toEqual([]);
      const resolved = await call('GET', '/v1/alerts?state=resolved', TOKEN.acme);
      expect(field(resolved, 'fingerprint')).toEqual(['fp-acme-1']);
      const both = await call('GET', '/v1/alerts?state=firing,resolved', TOKEN.operator);
      expect(both.body.items).toHaveLength(2);
      for (const [query, field] of [
        ['state=open', '/query/state'],
        ['agent_id=x', '/query/agent_id'],
        ['cursor=bm9wZQ', '/query/cursor'],
      ]) {
        const answer = await call('GET', `/v1/alerts?${query}`, TOKEN.acme);
        expect([query, answer.status, answer.body.field]).toEqual([query, 400, field]);
      }
    });
  });

  it('401 without a valid token on every new endpoint', async () => {
    for (const token of [undefined, 'not-a-token-not-a-token-0000']) {
      for (const [method, path] of [
        ['PUT', '/v1/alert-rules/high-cpu'],
        ['GET', '/v1/alert-rules'],
        ['GET', '/v1/alert-rules/high-cpu'],
        ['DELETE', '/v1/alert-rules/high-cpu'],
        ['POST', '/v1/silences'],
        ['GET', '/v1/silences'],
        ['GET', '/v1/silences/0b7c9d3e-1f2a-4b5c-8d6e-7f8091a2b3c4'],
        ['DELETE', '/v1/silences/0b7c9d3e-1f2a-4b5c-8d6e-7f8091a2b3c4'],
        ['GET', '/v1/alerts'],
        ['GET', '/v1/alerts/fp-acme-1'],
      ] as const) {
        const answer = await call(
          method,
          path,
          token,
          method === 'PUT' || method === 'POST' ? {} : undefined,
        );
        expect([method, path, answer.status, answer.body.code]).toEqual([method, path, 401, 'unauthorized']);
      }
    }
  });

  it('documents the new routes in /openapi.json', async () => {
    const doc = (await (await fetch(`http://127.0.0.1:${control.httpPort}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/alert-rules/{name}',
        '/v1/alert-rules',
        '/v1/silences',
        '/v1/silences/{id}',
        '/v1/alerts',
        '/v1/alerts/{fingerprint}',
      ]),
    );
  });

  it('rebuilds rules, silences and alerts from the topics after a restart', async () => {
    await control.close();
    control = await startTestControlApi({ KAFKA_TOPIC_PREFIX: prefix, CONTROL_API_ID });
    await eventually(async () => {
      expect((await fetch(`http://127.0.0.1:${control.httpPort}/readyz`)).status).toBe(200);
    }, 20_000);
    expect((await call('GET', '/v1/alert-rules/high-cpu', TOKEN.acme)).body.revision).toBe(2);
    expect((await call('GET', '/v1/alert-rules/short-lived', TOKEN.acme)).status).toBe(404);
    expect((await call('GET', '/v1/silences?state=pending', TOKEN.operator)).body.items).toHaveLength(1);
    const alert = await call('GET', '/v1/alerts/fp-acme-1', TOKEN.acme);
    expect([alert.body.state, alert.body.remediation[0]?.status]).toEqual(['resolved', 'succeeded']);
  });
});
