import { mkdirSync } from 'node:fs';
import { ClickHouseClient, ClickHouseSettings, createClient } from '@clickhouse/client';

type EmbeddedConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export interface ClickHouseOptions {
  /** A ClickHouse server (`http(s)://host:8123`); unset → the embedded engine (chDB) in `path`. */
  url?: string;
  path: string;
  username?: string;
  password?: string;
}

/**
 * The one place a ClickHouse client is made: the same @clickhouse/client API over HTTP to a server
 * or in-process to chDB. Queries name tables with their database, so one client serves all.
 * Only one process may open an embedded data folder.
 */
export function createClickHouseClient(
  options: ClickHouseOptions,
  extraSettings: ClickHouseSettings = {},
): ClickHouseClient {
  // chDB keeps settings on its session: give every client its settings once, at creation.
  const settings = {
    clickhouse_settings: { async_insert: 0 as const, wait_end_of_query: 1 as const, ...extraSettings },
  };
  if (options.url) {
    return createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      ...settings,
    });
  }
  mkdirSync(options.path, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  // chdb builds against its own copy of @clickhouse/client-common: same shape, distinct types.
  const connection = createChdbConnection({ path: options.path }) as unknown as EmbeddedConnection;
  return createClient({ connection, ...settings });
}
