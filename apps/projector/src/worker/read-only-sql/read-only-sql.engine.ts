import type { Session as ChdbSession } from 'chdb';
import { parseAstText } from './parse-tree';
import { OutputFormat, ReaderLimits, readerSessionSetup } from './reader-limits';
import { ReaderUnavailable, ReadOnlyViolation } from './read-only-sql.errors';
import { checkStatement, SqlCatalog, SqlScope } from './statement-policy';
import { tenantDatabase } from './tenant-views';

type SessionFactory = () => ChdbSession;

/**
 * Read-only SQL on the embedded engine, in three engine steps per request:
 * 1. `formatQuery` with the text bound as a parameter: the engine parses it as data (nothing
 *    runs), refuses more than one statement, and returns its canonical text;
 * 2. `EXPLAIN AST` of that canonical text: the parse tree that `checkStatement` judges;
 * 3. the canonical text itself, on a session that is `readonly=1` with its limits set before,
 *    so neither `SET` nor `SETTINGS` can lift them. What runs is exactly what was checked.
 * Each scope (the operator, each tenant) has its own session, whose current database is the
 * project's or the tenant's views.
 */
export class ReadOnlySqlEngine {
  private readonly sessions = new Map<string, Promise<ChdbSession>>();
  private catalog: SqlCatalog | undefined;

  constructor(
    private readonly openSession: SessionFactory,
    private readonly projectDatabase: string,
    private readonly limits: ReaderLimits,
  ) {}

  async run(sql: string, format: OutputFormat, scope: SqlScope): Promise<string> {
    const session = await this.sessionFor(scope);
    const canonical = await canonicalStatement(session, sql);
    const tree = parseAstText(
      (await session.queryAsync(`EXPLAIN AST ${canonical}`, { format: 'TSVRaw' })).text(),
    );
    const verdict = checkStatement(tree, scope, await this.catalogOf(session));
    if (!verdict.ok) throw new ReadOnlyViolation(verdict.reason);
    return (await session.queryAsync(canonical, { format })).text();
  }

  close(): void {
    for (const session of this.sessions.values()) void session.then((s) => s.close()).catch(() => undefined);
    this.sessions.clear();
  }

  private sessionFor(scope: SqlScope): Promise<ChdbSession> {
    const database =
      scope.kind === 'operator' ? this.projectDatabase : tenantDatabase(this.projectDatabase, scope.tenant);
    let session = this.sessions.get(database);
    if (!session) {
      session = this.lockedSession(database);
      // A failed setup is not cached: the next request tries again.
      session.catch(() => this.sessions.delete(database));
      this.sessions.set(database, session);
    }
    return session;
  }

  private async lockedSession(database: string): Promise<ChdbSession> {
    const session = this.openSession();
    try {
      for (const statement of readerSessionSetup(database, this.limits)) await session.queryAsync(statement);
      const readonly = (
        await session.queryAsync("SELECT getSetting('readonly')", { format: 'TSVRaw' })
      ).text();
      if (readonly.trim() !== '1') throw new Error(`the reader session reports readonly=${readonly.trim()}`);
      return session;
    } catch (error) {
      session.close();
      throw new ReaderUnavailable(
        `cannot open a read-only session on ${database}: ${(error as Error).message}`,
      );
    }
  }

  /** Read once from the engine itself, so a table function added by a newer ClickHouse is refused. */
  private async catalogOf(session: ChdbSession): Promise<SqlCatalog> {
    if (this.catalog) return this.catalog;
    const names = async (query: string) =>
      new Set(
        (await session.queryAsync(query, { format: 'TSVRaw' }))
          .text()
          .split('\n')
          .filter(Boolean)
          .map((n) => n.toLowerCase()),
      );
    const tableFunctions = await names('SELECT name FROM system.table_functions');
    if (!tableFunctions.has('file') || !tableFunctions.has('url')) {
      throw new ReaderUnavailable('system.table_functions did not list the engine table functions');
    }
    const databases = await names('SELECT name FROM system.databases');
    this.catalog = { projectDatabase: this.projectDatabase, databases, tableFunctions };
    return this.catalog;
  }
}

/** The engine's canonical text of exactly one statement, or its syntax error. */
async function canonicalStatement(session: ChdbSession, sql: string): Promise<string> {
  const result = await session.queryBindAsync(
    'SELECT formatQuery({sql:String})',
    { sql },
    { format: 'JSONCompact' },
  );
  const [[canonical]] = result.json<{ data: [[string]] }>().data;
  if (!canonical) throw new ReadOnlyViolation('empty statement');
  return canonical;
}
