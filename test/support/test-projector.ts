import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlRequest, sqlRows } from '@app/testing';
import { RunningProjector, startProjector } from '../../apps/projector/src/projector.app';

export { eventually } from './eventually';

export function tempClickHousePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'chdb-e2e-')), 'data');
}

/** The operator token every test projector accepts (unless a test configures its own tokens). */
export const TEST_SQL_TOKEN = 'sql_operatorTestToken0123456789abcdef';
export const TEST_AUTH_HASH_SECRET = 'test-auth-hash-secret-0123456789abcdef0123';

export async function startTestProjector(env: Record<string, string>): Promise<RunningProjector> {
  return startProjector({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    AUTH_HASH_SECRET: TEST_AUTH_HASH_SECRET,
    PROJECTOR_SQL_TOKENS: `*:${TEST_SQL_TOKEN}`,
    PROJECTOR_HTTP_PORT: '0',
    PROJECTOR_BATCH_MAX_MS: '100',
    PROJECTOR_RETRY_MAX_MS: '500',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...env,
  });
}

/** POSTs to the projector's /sql endpoint with a bearer token (the operator's by default). */
export function postSql(
  port: number,
  body: string,
  options: { format?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const token = options.token === undefined ? TEST_SQL_TOKEN : (options.token ?? undefined);
  return sqlRequest(port, body, { ...options, token });
}

/** Runs read-only SQL through the projector's HTTP endpoint and returns JSONEachRow rows. */
export function sql<T = Record<string, unknown>>(
  port: number,
  query: string,
  token: string = TEST_SQL_TOKEN,
): Promise<T[]> {
  return sqlRows<T>(port, query, token);
}

/** The consumer group a projection reads with (as projector.runtime.ts names it). */
export function projectionGroupId(
  topicPrefix: string,
  projection: string,
  groupPrefix = 'projector',
): string {
  return `${groupPrefix}.${topicPrefix}${projection}`;
}
