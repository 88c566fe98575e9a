import { agentpb, eventspb, HEADER, SCHEMA, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import {
  agentClient,
  bearer,
  Client,
  heartbeat,
  register,
  statsMessage,
  streamMessages,
} from '../support/agent-client';
import { oncePerMessage, readTopics } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';

const { DataType } = agentpb;

describe('gateway ingest (real gRPC client, real Kafka)', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix, GATEWAY_ID: 'gw-test-1' });
    client = agentClient(gateway.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
  });

  it('registers with an agent id that survives a gateway restart', async () => {
    const first = await register(client, bearer(KEY.alpha), {
      agentKey: KEY.alpha,
      agentName: 'edge-1',
      hosts: [{ name: 'docker-a', addr: '10.0.0.1' }],
    });
    expect(first.success).toBe(true);
    expect(first.agentId).toMatch(/^ag_[0-9a-f]{20}$/);

    const second = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    const otherClient = agentClient(second.grpcPort);
    try {
      const again = await register(otherClient, bearer(KEY.alpha), {
        agentKey: KEY.alpha,
        agentName: 'edge-1',
      });
      expect(again.agentId).toBe(first.agentId);
      const beta = await register(otherClient, bearer(KEY.beta), { agentKey: KEY.beta, agentName: 'edge-2' });
      expect(beta.agentId).not.toBe(first.agentId);
    } finally {
      otherClient.close();
      await second.close();
    }
  });

  it('answers heartbeats with the server time in epoch ms', async () => {
    const before = Date.now();
    const response = await heartbeat(client, bearer(KEY.alpha), {
      agentKey: KEY.alpha,
      timestamp: String(Math.floor(before / 1000)),
    });
    expect(response.success).toBe(true);
    expect(Number(response.serverTime)).toBeGreaterThanOrEqual(before);
    expect(Number(response.serverTime)).toBeLessThanOrEqual(Date.now());
  });

  it('publishes every data type to its topic with key, headers, order and a blanked key', async () => {
    const { agentId } = await register(client, bearer(KEY.alpha), {
      agentKey: KEY.alpha,
      agentName: 'edge-1',
    });
    const nowMs = Date.now();
    const seconds = String(Math.floor(nowMs / 1000));
    const messages: Partial<agentpb.AgentMessage>[] = [
      {
        agentKey: KEY.alpha,
        type: DataType.CONTAINER_LIST,
        host: 'docker-a',
        timestamp: seconds,
        listData: { containers: [{ id: 'c1', name: 'web', image: 'nginx', state: 'running', status: 'Up' }] },
      },
      {
        agentKey: KEY.alpha,
        type: DataType.CONTAINER_INSPECT,
        host: 'docker-a',
        timestamp: `${nowMs}000`,
        inspectData: {
          inspects: [
            agentpb.ContainerInspect.fromPartial({
              id: 'c1',
              name: '/web',
              image: 'nginx',
              config: {
                hostname: 'h',
                user: '',
                env: ['A=1'],
                cmd: [],
                entrypoint: [],
                workingDir: '/',
                labels: { tier: '웹' },
              },
            }),
          ],
        },
      },
      ...Array.from({ length: 30 }, (_, i) =>
        statsMessage(KEY.alpha, i % 2 === 0 ? 'docker-a' : 'docker-b', i, `${nowMs}000000`),
      ),
      {
        agentKey: KEY.alpha,
        type: DataType.CONTAINER_EVENT,
        host: 'docker-b',
        timestamp: String(nowMs),
        eventData: {
          type: 'container',
          action: 'die',
          actorId: 'c9',
          actorName: 'db',
          timestamp: `${nowMs}000000`,
          attrs: { exitCode: '137' },
        },
      },
    ];
    const result = await streamMessages(client, bearer(KEY.alpha), messages);
    expect(result.code).toBe(0);
    expect(Math.max(...result.acks)).toBe(messages.length);

    const records = oncePerMessage(
      await readTopics(
        [topics.list, topics.inspect, topics.stats, topics.events],
        (r) => oncePerMessage(r).length >= messages.length,
      ),
    );
    expect(records).toHaveLength(messages.length);
    expect(records.filter((r) => r.topic === topics.list)).toHaveLength(1);
    expect(records.filter((r) => r.topic === topics.inspect)).toHaveLength(1);
    expect(records.filter((r) => r.topic === topics.events)).toHaveLength(1);

    for (const record of records) {
      const decoded = agentpb.AgentMessage.decode(record.value);
      expect(decoded.agentKey).toBe('');
      expect(record.value.includes(Buffer.from(KEY.alpha))).toBe(false);
      expect(record.key).toBe(`${agentId}/${decoded.host}`);
      expect(record.headers[HEADER.tenantId]).toBe('default');
      expect(record.headers[HEADER.agentId]).toBe(agentId);
      expect(record.headers[HEADER.gatewayId]).toBe('gw-test-1');
      expect(record.headers[HEADER.schema]).toBe(SCHEMA.agentMessage);
      expect(record.headers[HEADER.messageId]).toMatch(/^[0-9a-f-]{36}:\d+$/);
      expect(Number(record.headers[HEADER.receivedAt])).toBeGreaterThanOrEqual(nowMs);
      // Seconds, microseconds and nanoseconds all arrive as epoch milliseconds.
      expect(Math.abs(Number(decoded.timestamp) - nowMs)).toBeLessThan(1000);
    }
    expect(new Set(records.map((r) => r.headers[HEADER.messageId])).size).toBe(records.length);

    const event = agentpb.AgentMessage.decode(
      records.find((r) => r.topic === topics.events)!.value,
    ).eventData!;
    expect(event).toMatchObject({ action: 'die', timestamp: String(nowMs), attrs: { exitCode: '137' } });
    const inspect = agentpb.AgentMessage.decode(records.find((r) => r.topic === topics.inspect)!.value);
    expect(inspect.inspectData!.inspects[0].config!.labels).toEqual({ tier: '웹' });

    for (const host of ['docker-a', 'docker-b']) {
      const sent = messages
        .filter((m) => m.host === host && m.type === DataType.CONTAINER_STATS)
        .map((m) => m.statsData!.stats[0].cpuPercent);
      const got = records
        .filter((r) => r.topic === topics.stats && r.key.endsWith(`/${host}`))
        .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))
        .map((r) => agentpb.AgentMessage.decode(r.value).statsData!.stats[0].cpuPercent);
      expect(got).toEqual(sent);
    }
    const stats = agentpb.AgentMessage.decode(records.find((r) => r.topic === topics.stats)!.value).statsData!
      .stats;
    expect(stats).toHaveLength(20);
    expect(stats[0].networkRx).toBe('18446744073709551615');
  });

  it('publishes the same records with the kafkajs producer on the gRPC thread (GATEWAY_KAFKA_WORKER=false)', async () => {
    const ownPrefix = uniqueTopicPrefix();
    const inThread = await startTestGateway({
      KAFKA_TOPIC_PREFIX: ownPrefix,
      GATEWAY_ID: 'gw-in-thread',
      GATEWAY_KAFKA_WORKER: 'false',
    });
    const inThreadClient = agentClient(inThread.grpcPort);
    try {
      const { agentId } = await register(inThreadClient, bearer(KEY.alpha), {
        agentKey: KEY.alpha,
        agentName: 'x',
      });
      const sent = [1, 2, 3].map((i) => statsMessage(KEY.alpha, 'in-thread-host', i));
      const result = await streamMessages(inThreadClient, bearer(KEY.alpha), sent);
      expect(Math.max(...result.acks)).toBe(3);
      const stats = topicsFor(ownPrefix).stats;
      const records = oncePerMessage(await readTopics([stats], (r) => oncePerMessage(r).length >= 3));
      expect(records).toHaveLength(3);
      for (const record of records) {
        expect(record.key).toBe(`${agentId}/in-thread-host`);
        expect(record.headers).toMatchObject({
          [HEADER.tenantId]: 'default',
          [HEADER.agentId]: agentId,
          [HEADER.gatewayId]: 'gw-in-thread',
          [HEADER.schema]: SCHEMA.agentMessage,
        });
        expect(record.headers[HEADER.messageId]).toMatch(/^[0-9a-f-]{36}:[123]$/);
      }
    } finally {
      inThreadClient.close();
      await inThread.close();
    }
  });

  it('records registered, heartbeat, stream opened and stream closed lifecycle events', async () => {
    const { agentId } = await register(client, bearer(KEY.beta), {
      agentKey: KEY.beta,
      agentName: 'edge-2',
      hosts: [{ name: 'h1', addr: '10.1.1.1' }],
    });
    await heartbeat(client, bearer(KEY.beta), { agentKey: KEY.beta, timestamp: String(Date.now()) });
    await streamMessages(client, bearer(KEY.beta), [statsMessage(KEY.beta, 'h1', 1)]);
    const kinds = (records: { key: string; value: Buffer }[]) =>
      records.filter((r) => r.key === agentId).map((r) => eventspb.AgentLifecycleEvent.decode(r.value).kind);
    const { LifecycleKind } = eventspb;
    const wanted = [
      LifecycleKind.LIFECYCLE_KIND_REGISTERED,
      LifecycleKind.LIFECYCLE_KIND_HEARTBEAT,
      LifecycleKind.LIFECYCLE_KIND_STREAM_OPENED,
      LifecycleKind.LIFECYCLE_KIND_STREAM_CLOSED,
    ];
    const records = await readTopics([topics.lifecycle], (r) => wanted.every((k) => kinds(r).includes(k)));
    expect(kinds(records)).toEqual(expect.arrayContaining(wanted));
    const registered = records
      .map((r) => eventspb.AgentLifecycleEvent.decode(r.value))
      .filter((e) => e.agentId === agentId && e.kind === LifecycleKind.LIFECYCLE_KIND_REGISTERED)
      .pop()!;
    expect(registered).toMatchObject({
      agentName: 'edge-2',
      tenantId: 'default',
      hosts: [{ name: 'h1', addr: '10.1.1.1' }],
    });
    const closed = records
      .map((r) => eventspb.AgentLifecycleEvent.decode(r.value))
      .find((e) => e.agentId === agentId && e.kind === LifecycleKind.LIFECYCLE_KIND_STREAM_CLOSED)!;
    expect(closed.messagesAccepted).toBe('1');
  });
});
