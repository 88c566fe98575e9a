import { Client as GrpcClient, credentials, Metadata, status } from '@grpc/grpc-js';
import { agentpb, HEADER, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { agentClient, bearer, Client, statsMessage, streamMessages } from '../support/agent-client';
import { oncePerMessage, readTopics } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';

const { DataType } = agentpb;
const HOST = 'docker-x';
const now = () => String(Date.now());

const INVALID: [string, Partial<agentpb.AgentMessage>][] = [
  ['missing_payload', { agentKey: KEY.alpha, type: DataType.CONTAINER_STATS, host: HOST, timestamp: now() }],
  [
    'type_mismatch',
    {
      agentKey: KEY.alpha,
      type: DataType.CONTAINER_EVENT,
      host: HOST,
      timestamp: now(),
      listData: { containers: [] },
    },
  ],
  ['multiple_payloads', { ...statsMessage(KEY.alpha, HOST, 0), listData: { containers: [] } }],
  [
    'unknown_type',
    {
      agentKey: KEY.alpha,
      type: 9 as agentpb.DataType,
      host: HOST,
      timestamp: now(),
      statsData: { stats: [] },
    },
  ],
  ['invalid_number', withStat({ cpuPercent: NaN })],
  ['invalid_number', withStat({ cpuPercent: -3 })],
  ['invalid_number', withStat({ memoryPercent: Infinity })],
  ['absurd_timestamp', { ...statsMessage(KEY.alpha, HOST, 0), timestamp: '-1' }],
  ['absurd_timestamp', { ...statsMessage(KEY.alpha, HOST, 0), timestamp: '86400' }],
  ['absurd_timestamp', { ...statsMessage(KEY.alpha, HOST, 0), timestamp: '9223372036854775807' }],
  [
    'string_too_long',
    {
      agentKey: KEY.alpha,
      type: DataType.CONTAINER_LIST,
      host: HOST,
      timestamp: now(),
      listData: { containers: [{ id: 'x'.repeat(5000), name: '', image: '', state: '', status: '' }] },
    },
  ],
  [
    'list_too_long',
    {
      agentKey: KEY.alpha,
      type: DataType.CONTAINER_LIST,
      host: HOST,
      timestamp: now(),
      listData: {
        containers: Array.from({ length: 101 }, () => ({
          id: 'a',
          name: '',
          image: '',
          state: '',
          status: '',
        })),
      },
    },
  ],
  ['invalid_host', { ...statsMessage(KEY.alpha, 'bad\nhost', 0) }],
];

function withStat(patch: Partial<agentpb.ContainerStats>): Partial<agentpb.AgentMessage> {
  const message = statsMessage(KEY.alpha, HOST, 0);
  message.statsData!.stats[3] = { ...message.statsData!.stats[3], ...patch };
  return message;
}

describe('gateway bad input', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startTestGateway({
      KAFKA_TOPIC_PREFIX: prefix,
      GATEWAY_MAX_STRING_BYTES: '1024',
      GATEWAY_MAX_LIST_ITEMS: '100',
      GATEWAY_MAX_MESSAGE_BYTES: String(256 * 1024),
    });
    client = agentClient(gateway.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
  });

  it('sends each invalid message to the DLQ with its reason while the good ones around it arrive', async () => {
    const messages: Partial<agentpb.AgentMessage>[] = [];
    INVALID.forEach(([, bad], i) => messages.push(statsMessage(KEY.alpha, HOST, i), bad));
    messages.push(statsMessage(KEY.alpha, HOST, INVALID.length));
    const result = await streamMessages(client, bearer(KEY.alpha), messages);
    expect(result.code).toBe(status.OK);
    expect(Math.max(...result.acks)).toBe(messages.length);

    const records = oncePerMessage(
      await readTopics([topics.stats, topics.dlq], (r) => oncePerMessage(r).length >= messages.length),
    );
    const good = records
      .filter((r) => r.topic === topics.stats)
      .map((r) => agentpb.AgentMessage.decode(r.value).statsData!.stats[0].cpuPercent);
    expect(good).toEqual(Array.from({ length: INVALID.length + 1 }, (_, i) => i));
    const sequence = (id: string) => Number(id.split(':')[1]);
    const dlq = records
      .filter((r) => r.topic === topics.dlq)
      .sort((a, b) => sequence(a.headers[HEADER.messageId]) - sequence(b.headers[HEADER.messageId]));
    expect(dlq.map((r) => r.headers[HEADER.dlqReason])).toEqual(INVALID.map(([reason]) => reason));
    for (const record of dlq) {
      expect(record.headers[HEADER.dlqDetail].length).toBeGreaterThan(3);
      expect(record.headers[HEADER.tenantId]).toBe('default');
      expect(record.value.includes(Buffer.from(KEY.alpha))).toBe(false);
    }
  });

  it('sends undecodable bytes to the DLQ without the key and keeps the stream going', async () => {
    const raw = new GrpcClient(`127.0.0.1:${gateway.grpcPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${KEY.alpha}`);
    const encode = (m: Partial<agentpb.AgentMessage>) =>
      Buffer.from(agentpb.AgentMessage.encode(agentpb.AgentMessage.fromPartial(m)).finish());
    const garbage = Buffer.concat([
      Buffer.from([0x0a, 0x7f]),
      Buffer.from(KEY.alpha),
      Buffer.from([0xff, 0xff, 0xff]),
    ]);
    const code = await new Promise<number>((resolve) => {
      const call = raw.makeBidiStreamRequest(
        '/containeragent.AgentService/DataStream',
        (b: Buffer) => b,
        (b: Buffer) => b,
        metadata,
      );
      call.on('data', () => undefined);
      call.on('error', () => undefined);
      call.on('status', (s) => resolve(s.code));
      call.write(encode({ ...statsMessage(KEY.alpha, 'raw-host', 100) }));
      call.write(garbage);
      call.write(encode({ ...statsMessage(KEY.alpha, 'raw-host', 101) }));
      call.end();
    });
    raw.close();
    expect(code).toBe(status.OK);
    const records = await readTopics(
      [topics.stats, topics.dlq],
      (r) =>
        r.filter((x) => x.key.endsWith('/raw-host') || x.headers[HEADER.dlqReason] === 'undecodable')
          .length >= 3,
    );
    const undecodable = records.filter((r) => r.headers[HEADER.dlqReason] === 'undecodable');
    expect(undecodable).toHaveLength(1);
    expect(undecodable[0].value.includes(Buffer.from(KEY.alpha))).toBe(false);
    expect(records.filter((r) => r.key.endsWith('/raw-host') && r.topic === topics.stats)).toHaveLength(2);
  });

  it('ends the stream with RESOURCE_EXHAUSTED on an oversized message, after storing the ones before it', async () => {
    const huge = {
      agentKey: KEY.alpha,
      type: DataType.CONTAINER_LIST,
      host: 'big-host',
      timestamp: now(),
      listData: {
        containers: Array.from({ length: 90 }, () => ({
          id: 'i'.repeat(1000),
          name: 'n'.repeat(1000),
          image: 'm'.repeat(1000),
          state: '',
          status: '',
        })),
      },
    };
    const result = await streamMessages(
      client,
      bearer(KEY.alpha),
      [statsMessage(KEY.alpha, 'big-host', 1), huge],
      { halfClose: false },
    );
    expect(result.code).toBe(status.RESOURCE_EXHAUSTED);
    const records = await readTopics([topics.stats], (r) => r.some((x) => x.key.endsWith('/big-host')));
    expect(records.filter((x) => x.key.endsWith('/big-host'))).toHaveLength(1);
  });

  it('answers malformed unary requests with INVALID_ARGUMENT', async () => {
    const raw = new GrpcClient(`127.0.0.1:${gateway.grpcPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${KEY.alpha}`);
    for (const method of ['Register', 'Heartbeat']) {
      const error = await new Promise<{ code: number }>((resolve) =>
        raw.makeUnaryRequest(
          `/containeragent.AgentService/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0xff, 0x01]),
          metadata,
          (e) => resolve(e!),
        ),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
    }
    raw.close();
  });
});
