import { status } from '@grpc/grpc-js';
import { HEADER, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { AUTH_FAILED_DETAILS } from '../../apps/gateway/src/auth/auth.gate';
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
import { eventually } from '../support/eventually';
import { readTopics } from '../support/kafka-records';
import { gatewayCounter, KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';

const BAD_AUTH: [string, ReturnType<typeof bearer>][] = [
  ['missing metadata', bearer()],
  ['empty value', bearer(undefined, '')],
  ['wrong scheme', bearer(undefined, `Basic ${KEY.alpha}`)],
  ['no scheme', bearer(undefined, KEY.alpha)],
  ['malformed key', bearer('ak_$$$$$$$$$$$$$$$$$$$$$$$$')],
  ['short key', bearer(`ak_${'a'.repeat(21)}`)],
  ['oversized key', bearer(`ak_${'a'.repeat(6000)}`)],
  ['unknown key', bearer('ak_neverissuedneverissued0000')],
  ['revoked key', bearer(KEY.revoked)],
];

describe('gateway authentication', () => {
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    // Every test client is 127.0.0.1: a burst this large keeps the failures below from throttling it.
    gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix, GATEWAY_AUTH_FAILURE_BURST: '10000' });
    client = agentClient(gateway.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
  });

  describe.each(BAD_AUTH)('%s', (_label, metadata) => {
    it('Register → UNAUTHENTICATED with the one message for every failure', async () => {
      const error = await expectGrpcError(
        register(client, metadata, { agentKey: KEY.alpha, agentName: 'x' }),
      );
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toBe(AUTH_FAILED_DETAILS);
    });

    it('Heartbeat → UNAUTHENTICATED with the one message for every failure', async () => {
      const error = await expectGrpcError(
        heartbeat(client, metadata, { agentKey: KEY.alpha, timestamp: String(Date.now()) }),
      );
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toBe(AUTH_FAILED_DETAILS);
    });

    it('DataStream → UNAUTHENTICATED with the one message for every failure', async () => {
      const result = await streamMessages(client, metadata, [statsMessage(KEY.alpha, 'h', 1)]);
      expect(result.code).toBe(status.UNAUTHENTICATED);
      expect(result.details).toBe(AUTH_FAILED_DETAILS);
      expect(result.acks).toEqual([]);
    });
  });

  it('refuses a Register or Heartbeat whose body key differs from the metadata key, with the same message', async () => {
    const failures = [
      register(client, bearer(KEY.alpha), { agentKey: KEY.beta, agentName: 'x' }),
      register(client, bearer(KEY.alpha), { agentKey: '', agentName: 'x' }),
      heartbeat(client, bearer(KEY.alpha), { agentKey: KEY.beta, timestamp: '1' }),
    ];
    for (const failure of failures) {
      const error = await expectGrpcError(failure);
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toBe(AUTH_FAILED_DETAILS);
    }
  });

  it('counts failures by reason', async () => {
    const text = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
    for (const reason of [
      'missing_metadata',
      'bad_metadata',
      'malformed_key',
      'unknown_key',
      'revoked_key',
    ]) {
      const line = new RegExp(`^gateway_auth_failures_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)$`, 'm');
      expect(Number(line.exec(text)?.[1])).toBeGreaterThan(0);
    }
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

describe('gateway authentication throttling', () => {
  const DELAY_MS = 300;
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startTestGateway({
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      GATEWAY_AUTH_FAILURE_BURST: '3',
      GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND: '2',
      GATEWAY_AUTH_THROTTLE_DELAY_MS: String(DELAY_MS),
    });
    client = agentClient(gateway.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await gateway?.close();
  });

  it('refuses, late and unchecked, an address that failed too often, even with a valid key, until it refills', async () => {
    const guess = { agentKey: 'ak_neverissuedneverissued0000', timestamp: '1' };
    for (let i = 0; i < 3; i++) {
      const error = await expectGrpcError(heartbeat(client, bearer(guess.agentKey), guess));
      expect(error.details).toBe(AUTH_FAILED_DETAILS);
    }
    const throttledBefore = await gatewayCounter(gateway, 'gateway_auth_throttled_total');

    const started = Date.now();
    const refused = await expectGrpcError(register(client, bearer(KEY.alpha), { agentKey: KEY.alpha }));
    expect(refused.code).toBe(status.UNAUTHENTICATED);
    expect(refused.details).toBe(AUTH_FAILED_DETAILS);
    // Timer granularity: allow a little under the configured delay.
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 20);
    expect(await gatewayCounter(gateway, 'gateway_auth_throttled_total')).toBeGreaterThan(throttledBefore);

    const welcome = await eventually(
      () => register(client, bearer(KEY.alpha), { agentKey: KEY.alpha, agentName: 'after-refill' }),
      10_000,
    );
    expect(welcome.agentId).toMatch(/^ag_[0-9a-f]{20}$/);
  });
});
