import { extname, join } from 'node:path';
import { ChildProcess, fork } from 'node:child_process';
import type { ClickHouseOptions, DdlOptions } from '@app/clickhouse';
import type { AppLogger } from '@app/observability';
import type { SourceRecord } from '../projections/source-record';
import type { EngineState } from '../supervision/projector-readiness';
import { RestartPolicy, RestartPolicyOptions } from '../supervision/restart-policy';
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

export interface WorkerSupervision {
  restart: RestartPolicyOptions;
  logger?: AppLogger;
}

export interface WorkerHooks {
  /** The worker could not be kept running: the projector must exit non-zero. */
  fatal(error: Error): void;
  /** A new worker process answers: what waited for it can go on. */
  restarted(): void;
}

const DEFAULT_SUPERVISION: WorkerSupervision = {
  restart: { minDelayMs: 500, maxDelayMs: 10_000, maxRestarts: 5, windowMs: 60_000 },
};

type InitRequest = Extract<WorkerRequest, { op: 'init' }>;

/**
 * The projector's handle on its ClickHouse worker process: requests answered by id. A worker
 * that dies is started again with back-off and the same `init` (schema check, reader sessions);
 * whatever was in flight fails with WORKER_DOWN, which the consumers retry. The new process
 * learns again what is stored from the tables, so a retried batch is not stored twice.
 */
export class ClickHouseWorkerClient {
  private child: ChildProcess | undefined;
  private status: EngineState = 'idle';
  private detail: string | undefined;
  private initRequest: InitRequest | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly policy: RestartPolicy;
  private hooks: WorkerHooks | undefined;

  constructor(private readonly supervision: WorkerSupervision = DEFAULT_SUPERVISION) {
    this.policy = new RestartPolicy(supervision.restart);
  }

  /** Who hears that the worker was restarted, or given up. */
  supervise(hooks: WorkerHooks): void {
    this.hooks = hooks;
  }

  get running(): boolean {
    return this.status === 'running';
  }

  get state(): { state: EngineState; detail?: string } {
    return { state: this.status, detail: this.detail };
  }

  /** The worker process's id while there is one (tests kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the worker; a failure here fails the start (no restarts before the first success). */
  async init(clickhouse: ClickHouseOptions, ddl: DdlOptions, reader?: ReaderOptions): Promise<number[]> {
    this.initRequest = { op: 'init', clickhouse, ddl, reader };
    this.status = 'starting';
    try {
      return await this.boot();
    } catch (error) {
      this.discardChild();
      if (this.status === 'starting') this.status = 'idle';
      throw error;
    }
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

  /** Stops the worker for good: no restart after this. */
  async close(): Promise<void> {
    this.status = 'closed';
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await this.send(child, { op: 'close' }).catch(() => child.kill('SIGKILL'));
    await exited;
  }

  private async boot(): Promise<number[]> {
    const child = this.spawn();
    this.child = child;
    const applied = (await this.send(child, this.initRequest!)) as number[];
    if (this.status === 'closed') {
      child.kill('SIGKILL');
      throw new ClickHouseWorkerError('ClickHouse worker closed while starting', 'WORKER_DOWN');
    }
    this.status = 'running';
    this.detail = undefined;
    return applied;
  }

  private spawn(): ChildProcess {
    const entry = join(__dirname, `clickhouse.worker${extname(__filename)}`);
    // Running from TypeScript sources (tests): the worker needs the same on-the-fly compiler.
    const register = entry.endsWith('.ts') ? process.env.TS_WORKER_REGISTER : undefined;
    if (entry.endsWith('.ts') && !register)
      throw new Error('TS_WORKER_REGISTER must name a TypeScript require hook');
    const child = fork(entry, [], {
      execArgv: register ? ['--require', register] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (response: WorkerResponse) => this.settle(response));
    // Failed to spawn, or a message could not be sent: the process is of no use either way.
    child.on('error', (error) => {
      if (child !== this.child) return;
      this.failAll(new ClickHouseWorkerError(`ClickHouse worker failed: ${error.message}`, 'WORKER_DOWN'));
      child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => this.exited(child, signal ?? `code ${code}`));
    return child;
  }

  private exited(child: ChildProcess, how: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    const reason = `ClickHouse worker exited (${how})`;
    this.failAll(new ClickHouseWorkerError(reason, 'WORKER_DOWN'));
    // Starting or restarting: the failed `init` is the one to act on (init() or restart()).
    if (this.status === 'running') {
      this.supervision.logger?.error({ how }, 'ClickHouse worker died; restarting it');
      this.scheduleRestart(reason);
    }
  }

  private scheduleRestart(reason: string): void {
    const decision = this.policy.onCrash();
    if (!decision.restart) {
      this.status = 'failed';
      this.detail = `${decision.crashes} crashes within ${this.supervision.restart.windowMs} ms; last: ${reason}`;
      this.fatal(new Error(`ClickHouse worker cannot be kept running: ${this.detail}`));
      return;
    }
    this.status = 'restarting';
    this.detail = `attempt ${decision.attempt} in ${decision.delayMs} ms after: ${reason}`;
    this.restartTimer = setTimeout(() => {
      this.restart().catch((error: Error) => this.fatal(error));
    }, decision.delayMs);
  }

  private async restart(): Promise<void> {
    if (this.status !== 'restarting') return;
    try {
      await this.boot();
    } catch (error) {
      this.discardChild();
      if (this.status !== 'restarting') return;
      this.supervision.logger?.warn({ err: (error as Error).message }, 'ClickHouse worker restart failed');
      this.scheduleRestart((error as Error).message);
      return;
    }
    this.supervision.logger?.info({ pid: this.child?.pid }, 'ClickHouse worker restarted');
    this.hooks?.restarted();
  }

  /** A process whose `init` failed may still run: it must not own the data folder any longer. */
  private discardChild(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private fatal(error: Error): void {
    this.supervision.logger?.fatal({ err: error }, 'ClickHouse worker given up');
    this.hooks?.fatal(error);
  }

  private request(request: WorkerRequest): Promise<unknown> {
    const child = this.child;
    if (this.status !== 'running' || !child) {
      const why = this.status === 'restarting' ? ' (restarting)' : '';
      return Promise.reject(
        new ClickHouseWorkerError(`ClickHouse worker is not running${why}`, 'WORKER_DOWN'),
      );
    }
    return this.send(child, request);
  }

  private send(child: ChildProcess, request: WorkerRequest): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, request }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(new ClickHouseWorkerError(`ClickHouse worker unreachable: ${error.message}`, 'WORKER_DOWN'));
      });
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
