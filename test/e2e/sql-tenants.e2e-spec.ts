import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentpb, alertspb, commandspb, HEADER, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import type { RunningProjector } from '../../apps/projector/src/projector.app';
import { tenantScopedTables } from '../../apps/projector/src/worker/read-only-sql/tenant-views';
import {
  agentClient,
  bearer,
  Client,
  heartbeat,
  register,
  statsMessage,
  streamMessages,
} from '../support/agent-client';
import { testKafka } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import {
  eventually,
  postSql,
  sql,
  startTestProjector,
  tempClickHousePath,
  TEST_SQL_TOKEN,
} from '../support/test-projector';

const TOKEN = {
  default: 'sql_tenantDefaultToken000000001',
  globex: 'sql_tenantGlobexToken0000000002',
};
const TENANTS = ['default', 'globex'] as const;
const HOST = { default: 'docker-default', globex: 'docker-globex' };
const AGENT_KEY = { default: KEY.alpha, globex: KEY.otherTenant };

/** Every kind of data an agent sends, so that every table and rollup has rows of both tenants. */
async function seed(client: Client, tenant: (typeof TENANTS)[number]): Promise<string> {
  const key = AGENT_KEY[tenant];
  const host = HOST[tenant];
  const now = Date.now();
  const { agentId } = await register(client, bearer(key), {
    agentKey: key,
    hosts: [{ name: host, addr: '10.0.0.1' }],
  });
  await heartbeat(client, bearer(key), { agentKey: key, timestamp: String(now) });
  await streamMessages(client, bearer(key), [
    {
      agentKey: key,
      type: agentpb.DataType.CONTAINER_LIST,
      host,
      timestamp: String(now),
      listData: {
        containers: [{ id: `${tenant}-c1`, name: 'web', image: 'nginx', state: 'running', status: 'Up' }],
      },
    },
    {
      agentKey: key,
      type: agentpb.DataType.CONTAINER_INSPECT,
      host,
      timestamp: String(now),
      inspectData: {
        inspects: [
          agentpb.ContainerInspect.fromPartial({ id: `${tenant}-c1`, name: '/web', image: 'nginx' }),
        ],
      },
    },
    statsMessage(key, host, 1, String(now)),
    {
      agentKey: key,
      type: agentpb.DataType.CONTAINER_EVENT,
      host,
      timestamp: String(now),
      eventData: {
        type: 'container',
        action: 'die',
        actorId: `${tenant}-c1`,
        actorName: 'web',
        timestamp: String(now),
        attrs: {},
      },
    },
  ]);
  return agentId;
}

/** A command status transition of the tenant's agent, so that the `commands` table has rows of both tenants. */
async function seedCommand(prefix: string, tenant: (typeof TENANTS)[number], agentId: string): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  const commandId = `cmd_${tenant}_1`;
  const value = commandspb.CommandStatusChanged.encode(
    commandspb.CommandStatusChanged.fromPartial({
      eventId: `ev_${tenant}`,
      commandId,
      status: commandspb.CommandStatus.COMMAND_STATUS_PENDING,
      atMs: String(Date.now()),
      command: {
        commandId,
        tenantId: tenant,
        agentId,
        host: HOST[tenant],
        container: 'web',
        action: commandspb.CommandAction.COMMAND_ACTION_RESTART,
        requestedAtMs: String(Date.now()),
      },
    }),
  ).finish();
  await producer.send({
    topic: topicsFor(prefix)['command-status'],
    acks: -1,
    messages: [
      {
        key: commandId,
        value: Buffer.from(value),
        headers: { [HEADER.tenantId]: tenant, [HEADER.agentId]: agentId },
      },
    ],
  });
  await producer.disconnect();
}

/** A firing alert of the tenant's agent, so that the `alerts` table has rows of both tenants. */
async function seedAlert(prefix: string, tenant: (typeof TENANTS)[number], agentId: string): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  const fingerprint = `fp_${tenant}_1`;
  const value = alertspb.AlertLogRecord.encode(
    alertspb.AlertLogRecord.fromPartial({
      recordId: `rec_${tenant}`,
      emittedAtMs: String(Date.now()),
      writer: 'alerter-test',
      transition: {
        fingerprint,
        ruleName: 'high-cpu',
        state: alertspb.AlertState.ALERT_STATE_FIRING,
        atMs: String(Date.now()),
        startsAtMs: String(Date.now()),
        labels: { alertname: 'high-cpu', severity: 'warning' },
        tenantId: tenant,
        agentId,
        host: HOST[tenant],
        containerName: 'web',
      },
    }),
  ).finish();
  await producer.send({
    topic: topicsFor(prefix).alerts,
    acks: -1,
    messages: [
      {
        key: fingerprint,
        value: Buffer.from(value),
        headers: { [HEADER.tenantId]: tenant, [HEADER.agentId]: agentId },
      },
    ],
  });
  await producer.disconnect();
}

function readmeQueries(): string[] {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### SQL for data teams'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)![1];
  return block
    .split(';')
    .map((q) => q.replace(/--[^\n]*/g, '').trim())
    .filter(Boolean);
}

describe('SQL per tenant: the engine keeps each tenant to its own rows', () => {
  const prefix = uniqueTopicPrefix();
  let gateway: RunningGateway;
  let projector: RunningProjector;
  let client: Client;
  const agents: Record<string, string> = {};

  beforeAll(async () => {
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_SQL_TOKENS: `*:${TEST_SQL_TOKEN},default:${TOKEN.default},globex:${TOKEN.globex}`,
    });
    client = agentClient(gateway.grpcPort);
    for (const tenant of TENANTS) agents[tenant] = await seed(client, tenant);
    for (const tenant of TENANTS) await seedCommand(prefix, tenant, agents[tenant]);
    for (const tenant of TENANTS) await seedAlert(prefix, tenant, agents[tenant]);
    await eventually(async () => {
      for (const table of tenantScopedTables()) {
        const rows = await sql<{ tenant_id: string }>(
          projector.httpPort,
          `SELECT DISTINCT tenant_id FROM ${table} ORDER BY tenant_id`,
        );
        expect({ table, tenants: rows.map((r) => r.tenant_id) }).toEqual({ table, tenants: [...TENANTS] });
      }
    }, 60_000);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
    await projector?.close();
  });

  it.each(TENANTS)('shows tenant %s only its own rows in every table and rollup', async (tenant) => {
    for (const table of tenantScopedTables()) {
      const rows = await sql<{ tenant_id: string }>(
        projector.httpPort,
        `SELECT DISTINCT tenant_id FROM ${table}`,
        TOKEN[tenant],
      );
      expect({ table, tenants: rows.map((r) => r.tenant_id) }).toEqual({ table, tenants: [tenant] });
    }
  });

  it.each(TENANTS)('runs the README queries unchanged under the token of tenant %s', async (tenant) => {
    const other = tenant === 'default' ? 'globex' : 'default';
    const queries = readmeQueries();
    expect(queries.length).toBeGreaterThanOrEqual(8);
    for (const query of queries) {
      const own = query.replace("'ag_…'", `'${agents[tenant]}'`).replace("'docker-a'", `'${HOST[tenant]}'`);
      const rows = await sql(projector.httpPort, own, TOKEN[tenant]);
      const text = JSON.stringify(rows);
      expect({ query, leaks: text.includes(HOST[other]) || text.includes(agents[other]) }).toEqual({
        query,
        leaks: false,
      });
    }
    // The first query without its LIMIT: the tenant's answer is the operator's, cut to its rows.
    const top = `${readmeQueries()[0].replace(/LIMIT \d+$/, '')} , container_name`;
    const mine = await sql<{ host: string }>(projector.httpPort, top, TOKEN[tenant]);
    const all = await sql<{ host: string }>(projector.httpPort, top);
    expect(mine.length).toBe(20);
    expect(mine).toEqual(all.filter((r) => r.host === HOST[tenant]));
  });

  it.each([
    ['the project database', 'SELECT count() FROM containeragent.container_stats'],
    ['another tenant’s views', 'SELECT count() FROM containeragent_tenant_globex.container_stats'],
    ['the project database in IN', 'SELECT 1 WHERE 1 IN (SELECT 1 FROM containeragent.container_stats)'],
    [
      'the project database through view()',
      'SELECT * FROM view(SELECT * FROM containeragent.container_stats)',
    ],
    ['the catalog', 'SELECT name FROM system.tables'],
    ['the list of databases', 'SHOW DATABASES'],
    ['merge()', "SELECT count() FROM merge('containeragent', '.*')"],
    ['the parts of other tenants', 'SELECT * FROM system.parts'],
  ])('refuses a tenant token that names %s', async (_label, query) => {
    const response = await postSql(projector.httpPort, query, { token: TOKEN.default });
    expect(response.status).toBe(403);
  });
});
