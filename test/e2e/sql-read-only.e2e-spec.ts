import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RunningProjector } from '../../apps/projector/src/projector.app';
import { PURE_TABLE_FUNCTIONS } from '../../apps/projector/src/worker/read-only-sql/statement-policy';
import {
  eventually,
  postSql,
  sql,
  startTestProjector,
  tempClickHousePath,
  TEST_SQL_TOKEN,
} from '../support/test-projector';
import { uniqueTopicPrefix } from '../support/test-gateway';

/**
 * The SQL endpoint against a hostile corpus: every statement must be refused or fail, and none
 * may create a file, open a connection or return a canary file's content. The engine is the real
 * embedded ClickHouse inside a real projector.
 */
describe('POST /sql keeps the machine out of reach', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sql-hostile-'));
  const canaryContent = `canary-${randomBytes(12).toString('hex')}`;
  const canary = join(dir, 'canary.txt');
  const relativeOutfile = `sql-outfile-probe-${randomBytes(4).toString('hex')}.txt`;
  let connections = 0;
  let listener: Server;
  let port = 0;
  let projector: RunningProjector;

  beforeAll(async () => {
    writeFileSync(canary, `${canaryContent}\n`);
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    projector = await startTestProjector({
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_PROJECTIONS: 'lifecycle',
      PROJECTOR_SQL_TIMEOUT_SECONDS: '3',
      // The last test kills the ClickHouse process: it stays down long enough to be seen.
      PROJECTOR_WORKER_RESTART_MIN_MS: '60000',
      PROJECTOR_WORKER_RESTART_MAX_MS: '60000',
    });
  });

  afterAll(async () => {
    await projector?.close();
    await new Promise((resolve) => listener?.close(resolve));
  });

  const url = () => `http://127.0.0.1:${port}/x`;
  const handwritten = (): [string, string][] => [
    ['backtick-quoted file()', `SELECT * FROM \`file\`('${canary}', 'RawBLOB')`],
    ['file()', `SELECT * FROM file('${canary}', 'RawBLOB')`],
    ['upper-case FILE()', `SELECT * FROM FILE('${canary}', 'RawBLOB')`],
    ['the plain function file()', `SELECT file('${canary}')`],
    ['file() between block comments', `SELECT * FROM /* a */ file /* b */ ('${canary}', 'RawBLOB')`],
    ['file() after -- comments', `-- read it\nSELECT * FROM file('${canary}', 'RawBLOB') -- done`],
    ['file() after a # comment', `# read it\nSELECT * FROM file('${canary}', 'RawBLOB')`],
    ['file() in odd whitespace', `SELECT\t*\r\nFROM\u000bfile('${canary}','RawBLOB')`],
    ['file() in a subquery', `SELECT * FROM (SELECT * FROM file('${canary}', 'RawBLOB'))`],
    ['file() in WITH', `WITH x AS (SELECT * FROM file('${canary}', 'RawBLOB')) SELECT * FROM x`],
    ['file() in view()', `SELECT * FROM view(SELECT * FROM file('${canary}', 'RawBLOB'))`],
    ['file() in loop()', `SELECT * FROM loop(file('${canary}', 'RawBLOB')) LIMIT 1`],
    ['loop() of a pure function', 'SELECT * FROM loop(numbers(1)) LIMIT 1'],
    ['file() in a JOIN', `SELECT * FROM numbers(1) AS n JOIN file('${canary}', 'RawBLOB') AS f ON 1 = 1`],
    ['file() in UNION', `SELECT 'a' UNION ALL SELECT * FROM file('${canary}', 'RawBLOB')`],
    ['file() in IN', `SELECT 1 WHERE 'x' IN (SELECT * FROM file('${canary}', 'RawBLOB'))`],
    ['filesystem()', `SELECT * FROM filesystem('${dir}')`],
    ['filesystem(/etc)', "SELECT * FROM filesystem('/etc')"],
    ['eval()', 'SELECT * FROM eval(1)'],
    ['url()', `SELECT * FROM url('${url()}', 'RawBLOB')`],
    ['backtick url()', `SELECT * FROM \`url\`('${url()}', 'RawBLOB')`],
    ['remote()', `SELECT * FROM remote('127.0.0.1:${port}', system.one)`],
    ['remoteSecure()', `SELECT * FROM remoteSecure('127.0.0.1:${port}', system.one)`],
    ['cluster()', "SELECT * FROM cluster('default', system.one)"],
    ['mysql()', `SELECT * FROM mysql('127.0.0.1:${port}', 'd', 't', 'u', 'p')`],
    ['postgresql()', `SELECT * FROM postgresql('127.0.0.1:${port}', 'd', 't', 'u', 'p')`],
    ['s3()', `SELECT * FROM s3('${url()}/b/k', 'RawBLOB')`],
    ['executable()', `SELECT * FROM executable('cat ${canary}', 'RawBLOB', 'x String')`],
    ['viewIfPermitted()', "SELECT * FROM viewIfPermitted(SELECT * FROM system.one ELSE null('dummy UInt8'))"],
    ['merge() over system', "SELECT * FROM merge('system', '^query')"],
    ['input()', "SELECT * FROM input('a String')"],
    ['DESCRIBE of file()', `DESCRIBE TABLE file('${canary}', 'RawBLOB')`],
    ['DESCRIBE of url()', `DESCRIBE TABLE url('${url()}', 'CSV')`],
    ['EXPLAIN of url()', `EXPLAIN SELECT * FROM url('${url()}', 'CSV')`],
    ['EXPLAIN ESTIMATE of file()', `EXPLAIN ESTIMATE SELECT * FROM file('${canary}', 'RawBLOB')`],
    ['INTO OUTFILE', `SELECT 'pwned' INTO OUTFILE '${dir}/a.txt'`],
    ['INTO OUTFILE TRUNCATE', `SELECT 'pwned' INTO OUTFILE '${dir}/b.txt' TRUNCATE`],
    ['INTO OUTFILE APPEND', `SELECT 'pwned' INTO OUTFILE '${dir}/c.txt' APPEND`],
    ['INTO OUTFILE AND STDOUT', `SELECT 'pwned' INTO OUTFILE '${dir}/d.txt' AND STDOUT`],
    ['INTO OUTFILE COMPRESSION', `SELECT 'pwned' INTO OUTFILE '${dir}/e.gz' COMPRESSION 'gzip'`],
    ['INTO OUTFILE FORMAT', `SELECT 'pwned' INTO OUTFILE '${dir}/f.txt' FORMAT CSV`],
    ['relative INTO OUTFILE', `SELECT 'pwned' INTO OUTFILE '${relativeOutfile}'`],
    ['INTO OUTFILE after UNION', `SELECT 1 UNION ALL SELECT 2 INTO OUTFILE '${dir}/g.txt'`],
    ['EXPLAIN INTO OUTFILE', `EXPLAIN SELECT 1 INTO OUTFILE '${dir}/h.txt'`],
    ['FORMAT', 'SELECT 1 FORMAT JSON'],
    [
      'SETTINGS lifting the time limit',
      'SELECT count() FROM numbers(1000000000000) SETTINGS max_execution_time = 0',
    ],
    ['SETTINGS lifting readonly', 'SELECT 1 SETTINGS readonly = 0'],
    [
      'SETTINGS lifting the row limit',
      "SELECT 1 SETTINGS max_result_rows = 0, result_overflow_mode = 'break'",
    ],
    ['SET readonly', 'SET readonly = 0'],
    ['SET a limit', 'SET max_result_rows = 0'],
    ['two statements', `SELECT 1; SELECT * FROM file('${canary}', 'RawBLOB')`],
    ['a read then a DROP', 'SELECT 1; DROP TABLE containeragent.container_stats'],
    [
      'INSERT INTO FUNCTION file()',
      `INSERT INTO FUNCTION file('${dir}/i.txt', 'CSV', 'a String') SELECT 'x'`,
    ],
    ['INSERT', "INSERT INTO containeragent.container_stats (host) VALUES ('x')"],
    ['BACKUP', `BACKUP TABLE containeragent.container_stats TO File('${dir}/backup')`],
    ['SYSTEM', 'SYSTEM FLUSH LOGS'],
    ['SYSTEM SHUTDOWN', 'SYSTEM SHUTDOWN'],
    ['KILL', 'KILL QUERY WHERE 1'],
    ['CREATE', 'CREATE TABLE containeragent.evil (a UInt8) ENGINE = Memory'],
    ['DROP', 'DROP TABLE containeragent.container_stats'],
    ['ALTER', 'ALTER TABLE containeragent.container_stats DELETE WHERE 1'],
    ['TRUNCATE', 'TRUNCATE TABLE containeragent.container_stats'],
    ['system.processes', 'SELECT query FROM system.processes'],
    ['quoted system.query_log', 'SELECT query FROM `system`.`query_log`'],
    ['system.processes through IN', 'SELECT 1 WHERE 1 IN system.processes'],
    ['system.query_log in a subquery', 'SELECT * FROM (SELECT query FROM system.query_log)'],
    ['INFORMATION_SCHEMA', 'SELECT * FROM INFORMATION_SCHEMA.TABLES'],
    ['dictGet()', "SELECT dictGet('d', 'a', 1)"],
    ['joinGet()', "SELECT joinGet('containeragent.x', 'v', 1)"],
    ['hasColumnInTable() to another server', `SELECT hasColumnInTable('127.0.0.1:${port}', 'd', 't', 'c')`],
  ];

  it('refuses each statement of the handwritten corpus with a clear 4xx', async () => {
    const corpus = handwritten();
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    for (const [label, statement] of corpus) {
      const response = await postSql(projector.httpPort, statement, { format: 'TabSeparatedWithNames' });
      const body = await response.text();
      const refused = response.status === 400 || response.status === 403;
      expect({ label, status: refused ? 'refused' : response.status }).toEqual({ label, status: 'refused' });
      expect({ label, body }).toEqual({ label, body: expect.stringMatching(/"error":"[^"]{10,}/) });
      expect(body).not.toContain(canaryContent);
    }
  });

  it('refuses every table function the engine lists except the pure ones, wherever it is nested', async () => {
    const names = (
      await sql<{ name: string }>(projector.httpPort, 'SELECT name FROM system.table_functions')
    ).map((r) => r.name);
    expect(names.length).toBeGreaterThan(50);
    const impure = names.filter((n) => !PURE_TABLE_FUNCTIONS.has(n.toLowerCase()));
    expect(impure).toEqual(expect.arrayContaining(['file', 'url', 'remote', 's3', 'executable', 'eval']));
    const call = (n: string) => `${n}('${url()}', '${canary}', 'RawBLOB')`;
    const shapes = [
      (n: string) => `SELECT * FROM ${call(n)}`,
      (n: string) => `SELECT * FROM (SELECT * FROM ${call(n)})`,
      (n: string) => `WITH t AS (SELECT * FROM ${call(n)}) SELECT * FROM t`,
      (n: string) => `SELECT * FROM view(SELECT * FROM ${call(n)})`,
      (n: string) => `DESCRIBE TABLE ${call(n)}`,
    ];
    for (const name of impure) {
      for (const shape of shapes) {
        const response = await postSql(projector.httpPort, shape(name));
        const body = (await response.json()) as { error: string; code: string };
        // A function whose own syntax the generic call misses (viewIfPermitted) is a syntax error:
        // refused by the parser before anything runs. Every other one is refused by name.
        const refusal =
          (response.status === 403 && body.error.includes('not allowed')) ||
          (response.status === 400 && body.code === '62');
        expect({ name, refusal }).toEqual({ name, refusal: true });
      }
    }
  });

  it('opened no connection, created no file and kept the limits', async () => {
    expect(connections).toBe(0);
    expect(readdirSync(dir)).toEqual(['canary.txt']);
    expect(existsSync(join(process.cwd(), relativeOutfile))).toBe(false);
    const [limits] = await sql<Record<string, string>>(
      projector.httpPort,
      "SELECT getSetting('readonly') AS readonly, getSetting('max_execution_time') AS t, getSetting('max_result_rows') AS r",
    );
    expect(limits).toEqual({ readonly: 1, t: 3, r: 100000 });
  });

  it('answers the pure table functions and the allowed system tables', async () => {
    expect(await sql(projector.httpPort, 'SELECT sum(number) AS s FROM numbers(10)')).toEqual([{ s: '45' }]);
    expect(await sql(projector.httpPort, "SELECT * FROM values('a UInt8', 1, 2)")).toEqual([
      { a: 1 },
      { a: 2 },
    ]);
    expect(await sql(projector.httpPort, 'SELECT count() AS n FROM generate_series(1, 5)')).toEqual([
      { n: '5' },
    ]);
    expect(
      await sql(
        projector.httpPort,
        'SELECT count() > 0 AS ok FROM view(SELECT * FROM containeragent.agent_lifecycle)',
      ),
    ).toEqual([{ ok: 0 }]);
    expect(
      (await sql(projector.httpPort, "SELECT name FROM system.tables WHERE database = 'containeragent'"))
        .length,
    ).toBeGreaterThan(5);
  });

  it('stops a query at the fixed time limit with 504', async () => {
    const response = await postSql(projector.httpPort, 'SELECT count() FROM numbers(1000000000000)');
    expect(response.status).toBe(504);
  });

  it('stops a result above the row limit', async () => {
    const response = await postSql(projector.httpPort, 'SELECT number FROM numbers(200000)');
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/limit|rows/i);
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'sql_wrongwrongwrongwrongwrongwrong'],
    ['a malformed token', 'nope'],
  ])('answers 401 to %s', async (_label, token) => {
    const response = await postSql(projector.httpPort, 'SELECT 1', { token });
    expect(response.status).toBe(401);
  });

  it('answers 401 to a wrong scheme', async () => {
    const response = await postSql(projector.httpPort, 'SELECT 1', {
      token: null,
      headers: { authorization: `Basic ${TEST_SQL_TOKEN}` },
    });
    expect(response.status).toBe(401);
  });

  it('rejects malformed requests with 4xx', async () => {
    const post = (body: string, options = {}) => postSql(projector.httpPort, body, options);
    expect((await post('')).status).toBe(400);
    expect((await post('SELECT 1', { format: 'Native' })).status).toBe(400);
    expect((await post('SELECT FROM WHERE')).status).toBe(400);
    expect((await post('SELECT * FROM nonexistent_table')).status).toBe(400);
    expect((await post(`SELECT '${'x'.repeat(70_000)}'`)).status).toBe(413);
    expect((await post('{"query": 5}', { headers: { 'content-type': 'application/json' } })).status).toBe(
      400,
    );
  });

  it('answers read queries in the chosen format, 64-bit integers exact', async () => {
    const json = await postSql(
      projector.httpPort,
      JSON.stringify({ query: 'SELECT 1 AS one, toUInt64(18446744073709551615) AS big' }),
      { format: 'JSONEachRow', headers: { 'content-type': 'application/json' } },
    );
    expect(json.status).toBe(200);
    expect(JSON.parse(await json.text())).toEqual({ one: 1, big: '18446744073709551615' });
  });

  // Last: it leaves this projector without its ClickHouse process.
  it('answers 503, not 400, once the ClickHouse worker process died', async () => {
    const worker = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'clickhouse.worker'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map(Number);
    expect(worker.length).toBeGreaterThan(0);
    for (const pid of worker) process.kill(pid, 'SIGKILL');
    await eventually(async () => expect((await postSql(projector.httpPort, 'SELECT 1')).status).toBe(503));
  });
});
