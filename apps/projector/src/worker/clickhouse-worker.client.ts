import { extname, join } from 'node:path';
import { ChildProcess, fork } from 'node:child_process';
import type { ClickHouseOptions, DdlOptions } from '@app/clickhouse';
import type { SourceRecord } from '../projections/source-record';
import type { OutputFormat } from './read-only-sql/reader-limits';
import type { SqlScope } from './read-only-sql/statement-policy';
import type { ProjectResult, ReaderOptions, WorkerRequest, WorkerResponse } from './worker-protocol';

export class ClickHouseWorkerError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ClickHouseWorkerError';
  }
}

/** The projector's handle on its ClickHouse worker process: requests answered by id. */
export class ClickHouseWorkerClient {
  private readonly worker: ChildProcess;
  private exited = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor() {
    const entry = join(__dirname, `clickhouse.worker${extname(__filename)}`);
    // Running from TypeScript sources (tests): the worker needs the same on-the-fly compiler.
    const register = entry.endsWith('.ts') ? process.env.TS_WORKER_REGISTER : undefined;
    if (entry.endsWith('.ts') && !register)
      throw new Error('TS_WORKER_REGISTER must name a TypeScript require hook');
    this.worker = fork(entry, [], {
      execArgv: register ? ['--require', register] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.worker.on('message', (response: WorkerResponse) => this.settle(response));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code, signal) => {
      this.exited = true;
      this.failAll(
        new ClickHouseWorkerError(`ClickHouse worker exited (${signal ?? `code ${code}`})`, 'WORKER_DOWN'),
      );
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  init(clickhouse: ClickHouseOptions, ddl: DdlOptions, reader?: ReaderOptions): Promise<number[]> {
    return this.request({ op: 'init', clickhouse, ddl, reader }) as Promise<number[]>;
  }

  project(projection: string, records: SourceRecord[]): Promise<ProjectResult> {
    return this.request({ op: 'project', projection, records }) as Promise<ProjectResult>;
  }

  forget(projection: string): Promise<void> {
    return this.request({ op: 'forget', projection }) as Promise<void>;
  }

  /** Read-only SQL in the scope of a token (see read-only-sql/read-only-sql.engine.ts). */
  query(sql: string, format: OutputFormat, scope: SqlScope): Promise<string> {
    return this.request({ op: 'query', sql, format, scope }) as Promise<string>;
  }

  /**
   * Runs a statement on the writer session (OPTIMIZE, ALTER, RENAME…) in the process that owns the
   * data: the only way to change an embedded database while the projector runs. Not exposed over HTTP.
   */
  maintenance(sql: string): Promise<void> {
    return this.request({ op: 'maintenance', sql }) as Promise<void>;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    await this.request({ op: 'close' }).catch(() => this.worker.kill('SIGKILL'));
    await exited;
  }

  private request(request: WorkerRequest): Promise<unknown> {
    const id = this.nextId++;
    if (this.exited) {
      return Promise.reject(new ClickHouseWorkerError('ClickHouse worker is not running', 'WORKER_DOWN'));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.send({ id, request });
    });
  }

  private settle(response: WorkerResponse): void {
    const waiter = this.pending.get(response.id);
    if (!waiter) return;
    this.pending.delete(response.id);
    if (response.ok) waiter.resolve(response.result);
    else waiter.reject(new ClickHouseWorkerError(response.error, response.code));
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
