import { Controller, HttpException, HttpStatus, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppLogger, LOGGER } from '@app/observability';
import { peerHost } from '@app/security';
import { ClickHouseWorkerClient, ClickHouseWorkerError } from '../worker/clickhouse-worker.client';
import { OUTPUT_FORMATS, OutputFormat } from '../worker/read-only-sql/reader-limits';
import type { SqlScope } from '../worker/read-only-sql/statement-policy';
import { sqlErrorMessage, statusForSqlError } from './sql-errors';
import { SQL_SETTINGS, SqlSettings } from './sql.settings';

const MAX_BODY_BYTES = 64 * 1024;
/** Beyond the engine's own max_execution_time: the worker itself stopped answering. */
const DEADLINE_MARGIN_MS = 5000;

/**
 * Read-only SQL for data teams in embedded mode (with a ClickHouse server they connect to it
 * directly). Body: the query as text/plain, or JSON `{"query": "…"}`; `?format=` picks the output.
 * The token decides the scope: an operator's reads the project's database, a tenant's only its
 * own rows (see the worker's read-only-sql folder for what the engine enforces).
 */
@Controller()
export class SqlController {
  constructor(
    @Inject(ClickHouseWorkerClient) private readonly worker: ClickHouseWorkerClient,
    @Inject(SQL_SETTINGS) private readonly settings: SqlSettings,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  @Post('sql')
  async sql(@Req() req: Request, @Res() res: Response, @Query('format') format?: string): Promise<void> {
    const scope = this.authorize(req);
    const chosen = (format ?? 'PrettyCompactMonoBlock') as OutputFormat;
    if (!OUTPUT_FORMATS.includes(chosen)) {
      fail(HttpStatus.BAD_REQUEST, `format must be one of ${OUTPUT_FORMATS.join(', ')}`);
    }
    const query = await readQuery(req);
    try {
      const text = await this.withDeadline(this.worker.query(query, chosen, scope));
      res
        .status(200)
        .type(chosen.startsWith('JSON') ? 'application/json' : 'text/plain')
        .send(text);
    } catch (error) {
      const e = error as ClickHouseWorkerError;
      const code = e.code ?? (this.worker.running ? undefined : 'WORKER_DOWN');
      const status = statusForSqlError(code);
      if (Number(status) >= 500) this.logger.warn({ code, error: e.message, status }, 'SQL request failed');
      res.status(status).json({ error: sqlErrorMessage(e.message), code });
    }
  }

  private authorize(req: Request): SqlScope {
    const peer = peerHost(req.socket.remoteAddress ?? 'unknown');
    if (this.settings.throttle.isThrottled(peer)) {
      fail(HttpStatus.TOO_MANY_REQUESTS, 'too many failed authentications from this address; retry later');
    }
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const scope = token === undefined ? undefined : this.settings.tokens.scopeOf(token);
    if (!scope) {
      this.settings.throttle.recordFailure(peer);
      fail(HttpStatus.UNAUTHORIZED, 'missing or invalid bearer token');
    }
    return scope;
  }

  private withDeadline<T>(work: Promise<T>): Promise<T> {
    const ms = this.settings.limits.maxExecutionSeconds * 1000 + DEADLINE_MARGIN_MS;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ClickHouseWorkerError(`the ClickHouse worker did not answer within ${ms} ms`, 'DEADLINE'),
          ),
        ms,
      );
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}

function fail(status: HttpStatus, message: string): never {
  throw new HttpException({ error: message }, status);
}

async function readQuery(req: Request): Promise<string> {
  const parsed = req.body as unknown;
  if (parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed) && Object.keys(parsed).length > 0) {
    const query = (parsed as { query?: unknown }).query;
    if (typeof query !== 'string') fail(HttpStatus.BAD_REQUEST, 'JSON body must be {"query": "<sql>"}');
    return checked(query);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      fail(HttpStatus.PAYLOAD_TOO_LARGE, `query longer than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return checked(Buffer.concat(chunks).toString('utf8'));
}

function checked(query: string): string {
  if (query.trim() === '') fail(HttpStatus.BAD_REQUEST, 'empty query: send the SQL as the request body');
  if (Buffer.byteLength(query) > MAX_BODY_BYTES) {
    fail(HttpStatus.PAYLOAD_TOO_LARGE, `query longer than ${MAX_BODY_BYTES} bytes`);
  }
  return query;
}
