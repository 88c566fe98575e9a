import type { ClickHouseClient } from '@clickhouse/client';
import type { Session } from 'chdb';
import { ClickHouseOptions, createClickHouseClient, migrate } from '@app/clickhouse';
import { RowSink } from './row-sink';
import type { ReaderOptions, WorkerRequest, WorkerResponse } from './worker-protocol';
import { ReadOnlySqlEngine } from './read-only-sql/read-only-sql.engine';
import { ReaderUnavailable } from './read-only-sql/read-only-sql.errors';
import { tenantViewStatements } from './read-only-sql/tenant-views';

/**
 * The projector's ClickHouse process: decoding, row building, JSON encoding and the inserts all
 * happen here, so the projector's event loop (Kafka heartbeats, HTTP) never waits on them. It is a
 * child process rather than a worker thread because chDB crashes the process when a worker
 * thread that loaded it exits. It is also the one owner of the embedded data folder.
 */
let client: ClickHouseClient | undefined;
let sink: RowSink | undefined;
/** Read-only SQL (embedded mode only): its own chDB sessions, never the writer's. */
let reader: ReadOnlySqlEngine | undefined;

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'init': {
      client = createClickHouseClient(request.clickhouse);
      sink = new RowSink(client, request.ddl.database);
      const applied = await migrate(client, request.ddl);
      if (request.reader && !request.clickhouse.url) {
        reader = await startReader(client, request.clickhouse, request.ddl.database, request.reader);
      }
      return applied;
    }
    case 'project':
      return ready(sink).project(request.projection, request.records);
    case 'forget':
      ready(sink).forget(request.projection);
      return null;
    case 'query':
      if (!reader) throw new ReaderUnavailable('read-only SQL is not served by this projector');
      return reader.run(request.sql, request.format, request.scope);
    case 'maintenance':
      await ready(client).command({ query: request.sql });
      return null;
    case 'close':
      reader?.close();
      await client?.close();
      client = reader = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

async function startReader(
  writer: ClickHouseClient,
  clickhouse: ClickHouseOptions,
  database: string,
  options: ReaderOptions,
): Promise<ReadOnlySqlEngine> {
  for (const tenant of options.tenants) {
    for (const statement of tenantViewStatements(database, tenant))
      await writer.command({ query: statement });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Session: ChdbSession } = require('chdb') as { Session: new (path: string) => Session };
  return new ReadOnlySqlEngine(() => new ChdbSession(clickhouse.path), database, options.limits);
}

function ready<T>(value: T | undefined): T {
  if (!value) throw new Error('ClickHouse worker not initialised');
  return value;
}

/** An answer the projector can no longer take (it went away) is dropped: the process is about to exit. */
function reply(response: WorkerResponse): void {
  process.send?.(response, undefined, undefined, () => undefined);
}

process.on('message', ({ id, request }: { id: number; request: WorkerRequest }) => {
  handle(request)
    .then(
      (result) => reply({ id, ok: true, result }),
      (error: Error & { code?: string | number; clickhouseCode?: number }) => {
        // chDB's errors carry the engine's code apart from their own; the engine's is the one to map.
        const code = error.clickhouseCode ?? error.code;
        reply({ id, ok: false, error: error.message, code: code === undefined ? undefined : String(code) });
      },
    )
    .catch((error: Error) => reply({ id, ok: false, error: `answer not sendable: ${error.message}` }));
});
// The projector went away (even by SIGKILL): nothing is left to serve, and no one reads this exit code.
process.on('disconnect', () => process.exit(0));
// A fault in this process is the projector's to handle (it restarts the worker): say what it was and exit non-zero.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    process.stderr.write(
      `clickhouse worker: ${event}: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
