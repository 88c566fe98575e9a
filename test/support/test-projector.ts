import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningProjector, startProjector } from '../../apps/projector/src/projector.app';

export function tempClickHousePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'chdb-e2e-')), 'data');
}

export async function startTestProjector(env: Record<string, string>): Promise<RunningProjector> {
  return startProjector({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    PROJECTOR_HTTP_PORT: '0',
    PROJECTOR_BATCH_MAX_MS: '100',
    PROJECTOR_RETRY_MAX_MS: '500',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...env,
  });
}

/** Runs read-only SQL through the projector's HTTP endpoint and returns JSONEachRow rows. */
export async function sql<T = Record<string, unknown>>(port: number, query: string): Promise<T[]> {
  const response = await fetch(`http://127.0.0.1:${port}/sql?format=JSONEachRow`, {
    method: 'POST',
    body: query,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`SQL ${response.status}: ${text}`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** Polls until `check` passes or the deadline passes (then the last failure is thrown). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
