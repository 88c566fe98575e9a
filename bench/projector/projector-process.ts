import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sqlRows } from '@app/testing';
import { BENCH_HASH_SECRET, BENCH_SQL_TOKEN, REPO_ROOT } from '../gateway/bench-common';
import { childrenOf } from './proc-cpu';

const MAIN = join(REPO_ROOT, 'dist/apps/projector/src/main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `node dist/apps/projector/src/main.js` as its own process, with a fresh embedded ClickHouse
 * folder; its logs are kept (and shown only when something goes wrong).
 */
export class ProjectorProcess {
  /** Every projector not yet stopped, for an interrupted run to kill. */
  static readonly running = new Set<ProjectorProcess>();
  readonly port: number;
  private readonly dir: string;
  private readonly child: ChildProcess;
  private readonly log: string[] = [];
  private exited: string | undefined;
  /** performance.now() when the projector logged 'projector consuming' (its consumer started). */
  consumingAt = NaN;

  private constructor(port: number, env: Record<string, string>) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'projector-bench-'));
    const environment: NodeJS.ProcessEnv = { ...process.env };
    delete environment.CLICKHOUSE_URL;
    Object.assign(environment, {
      CLICKHOUSE_PATH: join(this.dir, 'data'),
      PROJECTOR_HTTP_PORT: String(port),
      PROJECTOR_PROJECTIONS: 'stats',
      AUTH_HASH_SECRET: BENCH_HASH_SECRET,
      PROJECTOR_SQL_TOKENS: `*:${BENCH_SQL_TOKEN}`,
      LOG_LEVEL: 'info',
      ...env,
    });
    this.child = spawn(process.execPath, [MAIN], {
      cwd: REPO_ROOT,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        if (Number.isNaN(this.consumingAt) && line.includes('"projector consuming"'))
          this.consumingAt = performance.now();
        this.log.push(line);
        if (this.log.length > 200) this.log.shift();
      }
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('exit', (code, signal) => (this.exited = `projector exited (${signal ?? `code ${code}`})`));
    ProjectorProcess.running.add(this);
  }

  static async start(env: Record<string, string>): Promise<ProjectorProcess> {
    const projector = new ProjectorProcess(await freePort(), env);
    try {
      await projector.waitReady(90_000);
    } catch (error) {
      projector.kill();
      throw error;
    }
    return projector;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The ClickHouse worker process the projector forked. */
  workerPid(): number {
    return childrenOf(this.pid)[0] ?? NaN;
  }

  /** Warnings and errors the projector logged (JSON lines with level >= 40), plus non-JSON output. */
  problems(): string[] {
    return this.log.filter((line) => {
      try {
        return (JSON.parse(line) as { level?: number }).level! >= 40;
      } catch {
        return true;
      }
    });
  }

  tail(lines = 30): string {
    return this.log.slice(-lines).join('\n');
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`${this.exited} before it was ready:\n${this.tail()}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/readyz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`projector not ready within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(100);
    }
  }

  /** Read-only SQL through POST /sql, JSONEachRow rows back. */
  sql<T = Record<string, unknown>>(query: string): Promise<T[]> {
    return sqlRows<T>(this.port, query, BENCH_SQL_TOKEN);
  }

  async count(where = '1'): Promise<number> {
    const [row] = await this.sql<{ n: string }>(
      `SELECT count() AS n FROM containeragent.container_stats WHERE ${where}`,
    );
    return Number(row.n);
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
  }

  /** SIGTERM (the projector stores and commits what it read), SIGKILL after 30 s; then its folder goes. */
  async stop(): Promise<void> {
    ProjectorProcess.running.delete(this);
    if (!this.exited) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  kill(): void {
    ProjectorProcess.running.delete(this);
    if (!this.exited) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
