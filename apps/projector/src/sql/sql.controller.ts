import { Controller, HttpException, HttpStatus, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { ClickHouseWorkerClient, ClickHouseWorkerError } from '../worker/clickhouse-worker.client';
import { SQL_FORMATS, SqlFormat } from '../worker/read-only-query';
import { SQL_SETTINGS, SqlSettings } from './sql.settings';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Read-only SQL for data teams in embedded mode (with a ClickHouse server they connect to it
 * directly). Body: the query as text/plain, or JSON `{"query": "…"}`; `?format=` picks the output.
 */
@Controller()
export class SqlController {
  constructor(
    @Inject(ClickHouseWorkerClient) private readonly worker: ClickHouseWorkerClient,
    @Inject(SQL_SETTINGS) private readonly settings: SqlSettings,
  ) {}

  @Post('sql')
  async sql(@Req() req: Request, @Res() res: Response, @Query('format') format?: string): Promise<void> {
    this.authorize(req);
    const chosen = (format ?? 'PrettyCompactMonoBlock') as SqlFormat;
    if (!SQL_FORMATS.includes(chosen))
      fail(HttpStatus.BAD_REQUEST, `format must be one of ${SQL_FORMATS.join(', ')}`);
    const query = await readQuery(req);
    try {
      const text = await this.worker.query(
        query,
        chosen,
        this.settings.maxRows,
        this.settings.timeoutSeconds,
      );
      res
        .status(200)
        .type(chosen.startsWith('JSON') ? 'application/json' : 'text/plain')
        .send(text);
    } catch (error) {
      const e = error as ClickHouseWorkerError;
      const status =
        e.code === 'READONLY' || e.code === '164' ? HttpStatus.FORBIDDEN : HttpStatus.BAD_REQUEST;
      res.status(status).json({ error: e.message.split('\n')[0].slice(0, 2000), code: e.code });
    }
  }

  private authorize(req: Request): void {
    const token = this.settings.token;
    if (!token) return;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      fail(HttpStatus.UNAUTHORIZED, 'missing or wrong bearer token');
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
  if (Buffer.byteLength(query) > MAX_BODY_BYTES)
    fail(HttpStatus.PAYLOAD_TOO_LARGE, `query longer than ${MAX_BODY_BYTES} bytes`);
  return query;
}
