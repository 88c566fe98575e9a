import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { commandspb, HEADER, SCHEMA, topicsFor } from '@app/contracts';
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

const { CommandAction, CommandStatus } = commandspb;
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

describe('projector: command-status to the commands table (real Kafka, embedded ClickHouse)', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  const now = Date.now();
  let projector: RunningProjector;
  let producer: Producer;

  const request = (tenant: string, n: number, action: commandspb.CommandAction) => ({
    commandId: `cmd_${tenant}_${n}`,
    tenantId: tenant,
    agentId: `ag_${tenant}`,
    host: `docker-${tenant}`,
    container: 'web',
    containerId: `${tenant}-c1`.padEnd(64, '0'),
    containerName: 'web',
    action,
    requestedAtMs: String(now - 60_000),
    expiresAtMs: String(now + 3_600_000),
    requestedBy: 'tok_test',
  });
  const transition = (
    command: ReturnType<typeof request>,
    status: commandspb.CommandStatus,
    atMs: number,
    more: Partial<commandspb.CommandStatusChanged> = {},
  ) => ({
    key: command.commandId,
    value: Buffer.from(
      commandspb.CommandStatusChanged.encode(
        commandspb.CommandStatusChanged.fromPartial({
          eventId: `ev_${command.commandId}_${status}_${atMs}`,
          commandId: command.commandId,
          status,
          atMs: String(atMs),
          writer: 'gw-test',
          command,
          ...more,
        }),
      ).finish(),
    ),
    headers: {
      [HEADER.tenantId]: command.tenantId,
      [HEADER.agentId]: command.agentId,
      [HEADER.messageId]: `m_${command.commandId}_${status}_${atMs}`,
      [HEADER.schema]: SCHEMA.commandStatus,
    },
  });

  const restart = request('acme', 1, CommandAction.COMMAND_ACTION_RESTART);
  const start = request('acme', 2, CommandAction.COMMAND_ACTION_START);
  const stop = request('globex', 1, CommandAction.COMMAND_ACTION_STOP);

  beforeAll(async () => {
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_PROJECTIONS: 'commands',
      PROJECTOR_SQL_TOKENS: `*:${TEST_SQL_TOKEN},acme:${TOKEN.acme},globex:${TOKEN.globex}`,
    });
    producer = testKafka().producer();
    await producer.connect();
    const delivered = transition(restart, CommandStatus.COMMAND_STATUS_DELIVERED, now - 50_000, {
      streamId: 'st_1',
      gatewayId: 'gw-1',
    });
    await producer.send({
      topic: topics['command-status'],
      acks: -1,
      messages: [
        transition(restart, CommandStatus.COMMAND_STATUS_PENDING, now - 59_000),
        delivered,
        // the same record twice (a producer retry), and the same transition written again later
        delivered,
        transition(restart, CommandStatus.COMMAND_STATUS_DELIVERED, now - 40_000),
        // poison: undecodable bytes, and a status this version does not know
        { key: restart.commandId, value: Buffer.from([0x0a, 0xff, 0xff, 0x01]), headers: delivered.headers },
        transition(restart, 42 as commandspb.CommandStatus, now - 45_000),
        transition(restart, CommandStatus.COMMAND_STATUS_SUCCEEDED, now - 30_000, {
          detail: 'container restarted',
        }),
        transition(start, CommandStatus.COMMAND_STATUS_PENDING, now - 59_000),
        transition(start, CommandStatus.COMMAND_STATUS_DELIVERED, now - 58_000),
        transition(start, CommandStatus.COMMAND_STATUS_FAILED, now - 57_000, {
          detail: 'container died with exit code 1 right after it started',
        }),
        transition(stop, CommandStatus.COMMAND_STATUS_PENDING, now - 59_000),
        transition(stop, CommandStatus.COMMAND_STATUS_EXPIRED, now - 1_000),
      ],
    });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await projector?.close();
  });

  it('stores one row per transition, each once, with its request', async () => {
    await eventually(async () =>
      expect(await uncommittedRecords(projectionGroupId(prefix, 'commands'), topics['command-status'])).toBe(
        0,
      ),
    );
    const rows = await sql<Record<string, unknown>>(
      projector.httpPort,
      `SELECT command_id, status, action, toUnixTimestamp64Milli(ts) AS ms, detail, tenant_id, agent_id
       FROM commands ORDER BY command_id, ts`,
    );
    expect(rows.map((r) => `${String(r.command_id)} ${String(r.status)} ${String(r.action)}`)).toEqual([
      'cmd_acme_1 pending RESTART',
      'cmd_acme_1 delivered RESTART',
      'cmd_acme_1 succeeded RESTART',
      'cmd_acme_2 pending START',
      'cmd_acme_2 delivered START',
      'cmd_acme_2 failed START',
      'cmd_globex_1 pending STOP',
      'cmd_globex_1 expired STOP',
    ]);
    // the first copy of a transition is the one kept
    expect(Number(rows[1].ms)).toBe(now - 50_000);
    expect(rows[5].detail).toBe('container died with exit code 1 right after it started');
    const [full] = await sql<Record<string, unknown>>(
      projector.httpPort,
      `SELECT host, container, container_id, container_name, requested_by, writer, gateway_id, stream_id,
              toUnixTimestamp64Milli(requested_at) AS requested, toUnixTimestamp64Milli(expires_at) AS expires
       FROM commands WHERE command_id = 'cmd_acme_1' AND status = 'delivered'`,
    );
    expect(full).toMatchObject({
      host: 'docker-acme',
      container: 'web',
      container_id: restart.containerId,
      container_name: 'web',
      requested_by: 'tok_test',
      writer: 'gw-test',
      gateway_id: 'gw-1',
      stream_id: 'st_1',
    });
    expect(Number(full.requested)).toBe(now - 60_000);
    expect(Number(full.expires)).toBe(now + 3_600_000);
  });

  it('sends the records it cannot map to the DLQ and goes on', async () => {
    const dlq = await readTopics(
      [topics.dlq],
      (r) => r.filter((x) => x.headers[HEADER.dlqSource] === 'projector:commands').length >= 2,
    );
    const mine = dlq.filter((x) => x.headers[HEADER.dlqSource] === 'projector:commands');
    expect(mine).toHaveLength(2);
    for (const record of mine) {
      expect(record.headers[HEADER.dlqReason]).toBe('projection_failed');
      // keyed like every DLQ record, by the agent id header; the detail names where it was read
      expect(record.key).toBe(restart.agentId);
      expect(record.headers[HEADER.dlqDetail]).toMatch(
        new RegExp(`^${topics['command-status'].replace(/\./g, '\\.')}\\[\\d+\\]@\\d+: `),
      );
    }
    expect(mine.map((r) => r.headers[HEADER.dlqDetail]).join('\n')).toMatch(
      /undecodable CommandStatusChanged/,
    );
    expect(mine.map((r) => r.headers[HEADER.dlqDetail]).join('\n')).toMatch(/unknown command status 42/);
  });

  it("shows a tenant's token only its own commands", async () => {
    await eventually(async () =>
      expect(await sql(projector.httpPort, 'SELECT count() AS n FROM commands')).toEqual([{ n: '8' }]),
    );
    for (const [tenant, count] of [
      ['acme', 6],
      ['globex', 2],
    ] as const) {
      const rows = await sql<{ tenant_id: string; n: string }>(
        projector.httpPort,
        'SELECT tenant_id, count() AS n FROM commands GROUP BY tenant_id',
        TOKEN[tenant],
      );
      expect(rows).toEqual([{ tenant_id: tenant, n: String(count) }]);
    }
    const other = await postSql(
      projector.httpPort,
      'SELECT count() FROM containeragent_tenant_globex.commands',
      {
        token: TOKEN.acme,
      },
    );
    expect(other.status).toBe(403);
  });

  it("answers the README's command queries", async () => {
    const queries = readmeQueries().filter((q) => /\bFROM commands\b/.test(q));
    expect(queries).toHaveLength(3);
    const [perAction, stuck, history] = queries;
    expect(await sql(projector.httpPort, perAction, TOKEN.acme)).toEqual([
      {
        action: 'RESTART',
        total: '1',
        succeeded: '1',
        failed: '0',
        no_outcome: '0',
        open: '0',
        success_pct: 100,
      },
      {
        action: 'START',
        total: '1',
        succeeded: '0',
        failed: '1',
        no_outcome: '0',
        open: '0',
        success_pct: 0,
      },
    ]);
    expect(await sql(projector.httpPort, perAction)).toContainEqual(
      expect.objectContaining({ action: 'STOP', total: '1', no_outcome: '1' }),
    );
    expect(await sql(projector.httpPort, stuck)).toEqual([]);
    const steps = await sql<{ status: string }>(
      projector.httpPort,
      history.replace("'cmd_…'", `'${start.commandId}'`),
      TOKEN.acme,
    );
    expect(steps.map((s) => s.status)).toEqual(['pending', 'delivered', 'failed']);
    expect(
      await sql(projector.httpPort, history.replace("'cmd_…'", `'${start.commandId}'`), TOKEN.globex),
    ).toEqual([]);
  });
});
