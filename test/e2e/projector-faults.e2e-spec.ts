import { agentpb, HEADER, SCHEMA, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import type { RunningProjector } from '../../apps/projector/src/projector.app';
import { ClickHouseWorkerClient } from '../../apps/projector/src/worker/clickhouse-worker.client';
import { agentClient, bearer, Client, register, statsMessage, streamMessages } from '../support/agent-client';
import { readTopics, testKafka, uncommittedRecords } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import {
  eventually,
  projectionGroupId,
  sql,
  startTestProjector,
  tempClickHousePath,
} from '../support/test-projector';

const DB = 'containeragent';

describe('projector faults and the SQL endpoint', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  let gateway: RunningGateway;
  let projector: RunningProjector;
  let client: Client;
  let agentId = '';

  beforeAll(async () => {
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_PROJECTIONS: 'stats',
    });
    client = agentClient(gateway.grpcPort);
    agentId = (await register(client, bearer(KEY.alpha), { agentKey: KEY.alpha })).agentId;
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
    await projector?.close();
  });

  const count = async (host: string) =>
    Number(
      (
        await sql<{ n: string }>(
          projector.httpPort,
          `SELECT count() AS n FROM ${DB}.container_stats WHERE host = '${host}'`,
        )
      )[0].n,
    );

  it('sends a poison record to the DLQ and moves on to the records after it', async () => {
    const producer = testKafka().producer();
    await producer.connect();
    const headers = {
      [HEADER.tenantId]: 'default',
      [HEADER.agentId]: agentId,
      [HEADER.messageId]: 'poison-1',
      [HEADER.receivedAt]: String(Date.now()),
      [HEADER.schema]: SCHEMA.agentMessage,
    };
    const good = agentpb.AgentMessage.encode(
      agentpb.AgentMessage.fromPartial({ ...statsMessage('', 'poison-host', 7), agentKey: '' }),
    ).finish();
    await producer.send({
      topic: topics.stats,
      acks: -1,
      messages: [
        { key: 'k', value: Buffer.from([0x0a, 0xff, 0xff, 0x01]), headers },
        {
          key: 'k',
          value: Buffer.from(
            agentpb.AgentMessage.encode(
              agentpb.AgentMessage.fromPartial({
                type: agentpb.DataType.CONTAINER_STATS,
                host: 'poison-host',
                timestamp: String(Date.now()),
              }),
            ).finish(),
          ),
          headers: { ...headers, [HEADER.messageId]: 'poison-2' },
        },
        { key: 'k', value: Buffer.from(good), headers: { ...headers, [HEADER.messageId]: 'good-1' } },
        { key: 'k', value: Buffer.from(good), headers: { [HEADER.messageId]: 'no-tenant' } },
      ],
    });
    await producer.disconnect();
    await eventually(async () => expect(await count('poison-host')).toBe(20));
    const dlq = await readTopics(
      [topics.dlq],
      (r) => r.filter((x) => x.headers[HEADER.dlqSource] === 'projector:stats').length >= 3,
    );
    const mine = dlq.filter((x) => x.headers[HEADER.dlqSource] === 'projector:stats');
    expect(mine.map((r) => r.headers[HEADER.messageId]).sort()).toEqual([
      'no-tenant',
      'poison-1',
      'poison-2',
    ]);
    for (const record of mine) {
      expect(record.headers[HEADER.dlqReason]).toBe('projection_failed');
      expect(record.headers[HEADER.dlqDetail]).toMatch(
        new RegExp(`${topics.stats.replace('.', '\\.')}\\[\\d+\\]@\\d+: `),
      );
    }
  });

  it('survives ClickHouse refusing inserts: retries, loses nothing, duplicates nothing', async () => {
    const worker = projector.app.get(ClickHouseWorkerClient);
    await worker.maintenance(`RENAME TABLE ${DB}.container_stats TO ${DB}.container_stats_away`);
    try {
      const startedAt = Date.now();
      const messages = Array.from({ length: 40 }, (_, i) =>
        statsMessage(KEY.alpha, 'outage-host', i, String(startedAt + i)),
      );
      const result = await streamMessages(client, bearer(KEY.alpha), messages);
      expect(Math.max(...result.acks)).toBe(40);
      await eventually(async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${projector.httpPort}/metrics`)).text();
        expect(
          Number(/projector_store_failures_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0),
        ).toBeGreaterThanOrEqual(2);
      });
    } finally {
      await worker.maintenance(`RENAME TABLE ${DB}.container_stats_away TO ${DB}.container_stats`);
    }
    await eventually(async () => expect(await count('outage-host')).toBe(800));
    // Once the projector committed the whole topic (it commits only what it stored), no row can follow.
    await eventually(async () =>
      expect(await uncommittedRecords(projectionGroupId(prefix, 'stats'), topics.stats)).toBe(0),
    );
    const [check] = await sql<{ n: string; distinct_rows: string }>(
      projector.httpPort,
      `SELECT count() AS n, uniqExact(message_id, container_id) AS distinct_rows FROM ${DB}.container_stats WHERE host = 'outage-host'`,
    );
    expect(check).toEqual({ n: '800', distinct_rows: '800' });
    const [rollup] = await sql<{ samples: string }>(
      projector.httpPort,
      `SELECT sum(samples) AS samples FROM ${DB}.container_stats_1m WHERE host = 'outage-host'`,
    );
    expect(rollup.samples).toBe('800');
  });
});
