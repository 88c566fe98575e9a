/**
 * `npm run sql -- "<query>"`: runs read-only SQL through the projector's /sql endpoint (embedded
 * ClickHouse lives inside the projector process). Options: --format <ClickHouse format>.
 */
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
  const headers: Record<string, string> = {};
  if (process.env.PROJECTOR_SQL_TOKEN) headers.authorization = `Bearer ${process.env.PROJECTOR_SQL_TOKEN}`;
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
    process.exit(1);
  }
  process.stdout.write(text);
}

void main();
