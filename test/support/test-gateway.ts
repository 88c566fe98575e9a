import { randomBytes } from 'node:crypto';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway.app';

/** Agent keys in the gateway's format: `ak_` + 22..200 letters or digits. */
export const KEY = {
  alpha: 'ak_alphaalphaalphaalphaalphaalpha01',
  beta: 'ak_betabetabetabetabetabetabeta02',
  otherTenant: 'ak_globexglobexglobexglobex03',
  revoked: 'ak_revokedrevokedrevokedrevoked04',
};
/** A fixed secret, so the agent ids of one test run can be compared across gateways. */
export const TEST_HASH_SECRET = 'test-only-hash-secret-0123456789abcdef';

export const AGENT_KEYS = `${KEY.alpha},${KEY.beta},globex:${KEY.otherTenant},!${KEY.revoked}`;

/** A topic prefix of its own per spec file, so that specs sharing one broker never see each other's records. */
export function uniqueTopicPrefix(): string {
  return `t${randomBytes(4).toString('hex')}.`;
}

export async function startTestGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  return startGateway({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    GATEWAY_GRPC_HOST: '127.0.0.1',
    GATEWAY_GRPC_PORT: '0',
    GATEWAY_HTTP_PORT: '0',
    AGENT_KEYS,
    AUTH_HASH_SECRET: TEST_HASH_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    GATEWAY_ACK_INTERVAL_MS: '20',
    ...env,
  });
}
