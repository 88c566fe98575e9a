import { randomBytes } from 'node:crypto';
import { localGatewayEnv } from '@app/testing';
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
    ...localGatewayEnv({
      brokers: process.env.KAFKA_BROKERS,
      agentKeys: AGENT_KEYS,
      hashSecret: TEST_HASH_SECRET,
      logLevel: process.env.TEST_LOG_LEVEL ?? 'error',
    }),
    GATEWAY_ACK_INTERVAL_MS: '20',
    ...env,
  });
}

/** A counter of the gateway's /metrics: its first series if it has labels, 0 before it exists. */
export async function gatewayCounter(gateway: RunningGateway, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
  const line = new RegExp(`^${name}(\\{[^}]*\\})? (\\d+)$`, 'm').exec(text);
  return Number(line?.[2] ?? 0);
}
