import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { bearer, expectGrpcError, register } from '../support/agent-client';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';

const TLS = join(__dirname, '../fixtures/tls');

describe('gateway with TLS', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      GATEWAY_TLS_CERT: join(TLS, 'gateway.crt'),
      GATEWAY_TLS_KEY: join(TLS, 'gateway.key'),
    });
  });

  afterAll(async () => gateway?.close());

  it('serves agents that trust its certificate', async () => {
    const client = new agentpb.AgentServiceClient(
      `localhost:${gateway.grpcPort}`,
      credentials.createSsl(readFileSync(join(TLS, 'gateway.crt'))),
    );
    try {
      const response = await register(client, bearer(KEY.alpha), {
        agentKey: KEY.alpha,
        agentName: 'tls-agent',
      });
      expect(response.success).toBe(true);
    } finally {
      client.close();
    }
  });

  it('does not speak plaintext', async () => {
    const client = new agentpb.AgentServiceClient(
      `127.0.0.1:${gateway.grpcPort}`,
      credentials.createInsecure(),
    );
    try {
      const error = await expectGrpcError(
        new Promise((resolve, reject) =>
          client.register(
            agentpb.RegisterRequest.fromPartial({ agentKey: KEY.alpha }),
            bearer(KEY.alpha),
            { deadline: Date.now() + 3000 },
            (e, r) => (e ? reject(e) : resolve(r)),
          ),
        ),
      );
      expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(error.code);
    } finally {
      client.close();
    }
  });

  it('refuses to start with only half of the TLS settings', async () => {
    await expect(startTestGateway({ GATEWAY_TLS_CERT: join(TLS, 'gateway.crt') })).rejects.toThrow(
      /GATEWAY_TLS_KEY/,
    );
    await expect(
      startTestGateway({ GATEWAY_TLS_CERT: '/nonexistent.crt', GATEWAY_TLS_KEY: join(TLS, 'gateway.key') }),
    ).rejects.toThrow(/GATEWAY_TLS_CERT: cannot read/);
  });
});
