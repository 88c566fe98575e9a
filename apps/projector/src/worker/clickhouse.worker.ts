import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseOptions, createClickHouseClient, migrate } from '@app/clickhouse';
import { RowSink } from './row-sink';
import type { WorkerRequest, WorkerResponse } from './worker-protocol';
import { readerSettings, readOnlyQuery } from './read-only-query';

/**
 * The projector's ClickHouse process: decoding, row building, JSON encoding and the inserts all
 * happen here, so the projector's event loop (Kafka heartbeats, HTTP) never waits on them. It is a
 * child process rather than a worker thread because chDB crashes the process when a worker
 * thread that loaded it exits. It is also the one owner of the embedded data folder.
 */
let options: ClickHouseOptions | undefined;
let client: ClickHouseClient | undefined;
/** A second session for the SQL endpoint: chDB keeps settings per session, so reads get their own. */
let reader: ClickHouseClient | undefined;
let sink: RowSink | undefined;

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'init':
      options = request.clickhouse;
      client = createClickHouseClient(options);
      sink = new RowSink(client, request.ddl.database);
      return migrate(client, request.ddl);
    case 'project':
      return ready(sink).project(request.projection, request.records);
    case 'forget':
      ready(sink).forget(request.projection);
      return null;
    case 'query':
      reader ??= createClickHouseClient(
        ready(options),
        readerSettings(request.maxRows, request.timeoutSeconds),
      );
      return readOnlyQuery(reader, request.sql, request.format);
    case 'maintenance':
      await ready(client).command({ query: request.sql });
      return null;
    case 'close':
      await reader?.close();
      await client?.close();
      client = reader = undefined;
      setImmediate(() => process.exit(0));
      return null;
  }
}

function ready<T>(value: T | undefined): T {
  if (!value) throw new Error('ClickHouse worker not initialised');
  return value;
}

process.on('message', ({ id, request }: { id: number; request: WorkerRequest }) => {
  handle(request).then(
    (result) => process.send?.({ id, ok: true, result } satisfies WorkerResponse),
    (error: Error & { code?: string }) =>
      process.send?.({ id, ok: false, error: error.message, code: error.code } satisfies WorkerResponse),
  );
});
// The projector went away (even by SIGKILL): nothing is left to serve.
process.on('disconnect', () => process.exit(0));
