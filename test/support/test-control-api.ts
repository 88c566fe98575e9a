import { RunningControlApi, startControlApi } from '../../apps/control-api/src/control-api.app';
import { TEST_HASH_SECRET } from './test-gateway';

/** Tokens of the control API in tests: an operator and one token per tenant. */
export const TOKEN = {
  operator: 'operatoroperatoroperator0001',
  acme: 'acmeacmeacmeacmeacmeacme0002',
  globex: 'globexglobexglobexglobex0003',
};
export const CONTROL_API_TOKENS = `*:${TOKEN.operator},acme:${TOKEN.acme},globex:${TOKEN.globex}`;

export async function startTestControlApi(env: Record<string, string> = {}): Promise<RunningControlApi> {
  return startControlApi({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    CONTROL_API_PORT: '0',
    CONTROL_API_TOKENS,
    AUTH_HASH_SECRET: TEST_HASH_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...env,
  });
}

export interface ApiAnswer {
  status: number;
  type: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by each test
}

/**
 * One call to the control API with a bearer token; `body` as an object is sent as JSON, a string
 * as is; `extraHeaders` (such as `idempotency-key`) are sent too.
 */
export async function api(
  port: number,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : undefined,
  };
}
