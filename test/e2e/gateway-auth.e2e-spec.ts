import { status } from '@grpc/grpc-js';
import { HEADER, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import {
  agentClient,
  bearer,
  Client,
  expectGrpcError,
  heartbeat,
  register,
  statsMessage,
  streamMessages,
} from '../support/agent-client';
import { readTopics } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';

const BAD_AUTH: [string, ReturnType<typeof bearer>][] = [
  ['missing metadata', bearer()],
  ['empty value', bearer(undefined, '')],
  ['wrong scheme', bearer(undefined, `Basic ${KEY.alpha}`)],
  ['no scheme', bearer(undefined, KEY.alpha)],
  ['malformed key', bearer('ak_$$$$$$$$$$$$')],
  ['oversized key', bearer(`ak_${'a'.repeat(6000)}`)],
  ['unknown key', bearer('ak_neverissuedneverissued')],
  ['revoked key', bearer(KEY.revoked)],
];

describe('gateway authentication', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
    client = agentClient(gateway.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
  });

  describe.each(BAD_AUTH)('%s', (_label, metadata) => {
    it('Register → UNAUTHENTICATED', async () => {
      const error = await expectGrpcError(
        register(client, metadata, { agentKey: KEY.alpha, agentName: 'x' }),
      );
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details.length).toBeGreaterThan(5);
    });

    it('Heartbeat → UNAUTHENTICATED', async () => {
      const error = await expectGrpcError(
        heartbeat(client, metadata, { agentKey: KEY.alpha, timestamp: String(Date.now()) }),
      );
      expect(error.code).toBe(status.UNAUTHENTICATED);
    });

    it('DataStream → UNAUTHENTICATED', async () => {
      const result = await streamMessages(client, metadata, [statsMessage(KEY.alpha, 'h', 1)]);
      expect(result.code).toBe(status.UNAUTHENTICATED);
      expect(result.acks).toEqual([]);
    });
  });

  it('refuses a Register or Heartbeat whose body key differs from the metadata key', async () => {
    const reg = await expectGrpcError(
      register(client, bearer(KEY.alpha), { agentKey: KEY.beta, agentName: 'x' }),
    );
    expect(reg.code).toBe(status.UNAUTHENTICATED);
    expect(reg.details).toMatch(/differs/);
    const empty = await expectGrpcError(
      register(client, bearer(KEY.alpha), { agentKey: '', agentName: 'x' }),
    );
    expect(empty.code).toBe(status.UNAUTHENTICATED);
    const hb = await expectGrpcError(
      heartbeat(client, bearer(KEY.alpha), { agentKey: KEY.beta, timestamp: '1' }),
    );
    expect(hb.code).toBe(status.UNAUTHENTICATED);
  });

  it('ends a DataStream whose message carries another key, storing nothing under that key', async () => {
    const good = statsMessage(KEY.alpha, 'auth-host', 1);
    const forged = statsMessage(KEY.beta, 'auth-host', 2);
    const result = await streamMessages(client, bearer(KEY.alpha), [good, forged], { halfClose: false });
    expect(result.code).toBe(status.UNAUTHENTICATED);
    expect(result.details).toMatch(/message 2/);

    const { agentId: alphaId } = await register(client, bearer(KEY.alpha), { agentKey: KEY.alpha });
    const { agentId: betaId } = await register(client, bearer(KEY.beta), { agentKey: KEY.beta });
    const records = await readTopics([topics.stats, topics.dlq], (r) => r.length >= 2);
    const stats = records.filter((r) => r.topic === topics.stats);
    expect(stats).toHaveLength(1);
    expect(stats[0].headers[HEADER.agentId]).toBe(alphaId);
    const dlq = records.filter((r) => r.topic === topics.dlq);
    expect(dlq).toHaveLength(1);
    expect(dlq[0].headers[HEADER.dlqReason]).toBe('agent_key_mismatch');
    expect(dlq[0].headers[HEADER.agentId]).toBe(alphaId);
    expect(records.some((r) => r.headers[HEADER.agentId] === betaId)).toBe(false);
    for (const r of records) {
      expect(r.value.includes(Buffer.from(KEY.alpha))).toBe(false);
      expect(r.value.includes(Buffer.from(KEY.beta))).toBe(false);
    }
  });

  it('keeps tenants apart: a key of another tenant gets its own tenant id on every record', async () => {
    const { agentId } = await register(client, bearer(KEY.otherTenant), { agentKey: KEY.otherTenant });
    await streamMessages(client, bearer(KEY.otherTenant), [statsMessage(KEY.otherTenant, 'globex-host', 1)]);
    const records = await readTopics([topics.stats], (r) =>
      r.some((x) => x.headers[HEADER.agentId] === agentId),
    );
    const mine = records.filter((r) => r.headers[HEADER.agentId] === agentId);
    expect(mine).toHaveLength(1);
    expect(mine[0].headers[HEADER.tenantId]).toBe('globex');
  });
});
