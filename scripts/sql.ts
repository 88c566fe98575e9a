import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * `npm run sql -- "<query>"`: runs read-only SQL through the projector's /sql endpoint (embedded
 * ClickHouse lives inside the projector process). Options: --format <ClickHouse format>.
 * The token is SQL_TOKEN, else the operator token `npm start` generated into .cache/demo/sql-token.
 */
const TOKEN_FILE = join(resolve(__dirname, '../..'), '.cache/demo/sql-token');

function sqlToken(): { token: string; from: string } | undefined {
  if (process.env.SQL_TOKEN) return { token: process.env.SQL_TOKEN.trim(), from: 'SQL_TOKEN' };
  if (!existsSync(TOKEN_FILE)) return undefined;
  const token = readFileSync(TOKEN_FILE, 'utf8').trim();
  return token ? { token, from: TOKEN_FILE } : undefined;
}

function unauthorizedHint(used: { from: string } | undefined): string {
  if (!used) {
    return `no token: set SQL_TOKEN, or run \`npm start\`, which generates ${TOKEN_FILE} for this command\n`;
  }
  if (used.from === 'SQL_TOKEN') {
    return "SQL_TOKEN is not one of the projector's tokens (PROJECTOR_SQL_TOKENS or PROJECTOR_SQL_TOKENS_FILE)\n";
  }
  return (
    `the projector does not accept the token in ${used.from}: it was started with other tokens; ` +
    'set SQL_TOKEN to one of its PROJECTOR_SQL_TOKENS\n'
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const formatAt = args.indexOf('--format');
  const format = formatAt >= 0 ? args.splice(formatAt, 2)[1] : 'PrettyCompactMonoBlock';
  const query = args.join(' ').trim();
  if (!query) {
    process.stderr.write('usage: npm run sql -- "SELECT …" [--format TabSeparatedWithNames]\n');
    process.exit(2);
  }
  const base = process.env.SQL_URL ?? `http://127.0.0.1:${process.env.PROJECTOR_HTTP_PORT ?? 8082}`;
  const token = sqlToken();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token.token}` } : {};
  let response: Response;
  try {
    response = await fetch(`${base}/sql?format=${encodeURIComponent(format)}`, {
      method: 'POST',
      body: query,
      headers,
    });
  } catch (error) {
    process.stderr.write(
      `cannot reach the projector at ${base} (is \`npm start\` running?): ${(error as Error).message}\n`,
    );
    process.exit(1);
  }
  const text = await response.text();
  if (!response.ok) {
    process.stderr.write(`${response.status}: ${text}\n`);
    if (response.status === 401) process.stderr.write(unauthorizedHint(token));
    process.exit(1);
  }
  process.stdout.write(text);
}

main().catch((error: Error) => {
  process.stderr.write(`sql: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
