import { Controller, Delete, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { z } from 'zod';
import { ApiAuth } from '../../auth/api-auth';
import { fail } from '../../http/problem';
import { parse } from '../../http/validate';
import {
  CreateSilenceBody,
  ListSilencesQuery,
  Silence,
  SilenceIdParams,
  SilencePage,
} from '../alerting.schemas';
import { decodePosition, encodePosition } from '../alerting-cursor';
import { silenceJson } from './silence-json';
import { SilencesService } from './silences.service';
import { SilencesView } from './silences.view';

@Controller('v1/silences')
export class SilencesController {
  constructor(
    @Inject(ApiAuth) private readonly auth: ApiAuth,
    @Inject(SilencesService) private readonly silences: SilencesService,
    @Inject(SilencesView) private readonly view: SilencesView,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Req() req: Request): Promise<z.infer<typeof Silence>> {
    const scope = this.auth.scope(req);
    const body = parse(CreateSilenceBody, req.body, 'body');
    return silenceJson(await this.silences.create(scope, body), Date.now());
  }

  /** Newest first; a tenant token sees its tenant's silences only. */
  @Get()
  list(@Req() req: Request): z.infer<typeof SilencePage> {
    const scope = this.auth.scope(req);
    const query = parse(ListSilencesQuery, req.query, 'query');
    const after = query.cursor === undefined ? undefined : decodePosition(query.cursor);
    if (query.cursor !== undefined && !after)
      fail('invalid_request', '/query/cursor: a cursor from next_cursor', '/query/cursor');
    const tenant = scope.kind === 'tenant' ? scope.tenant : undefined;
    const page = this.view.page({ tenant, state: query.state }, query.limit, after);
    const now = Date.now();
    return {
      items: page.items.map((s) => silenceJson(s, now)),
      ...(page.next ? { next_cursor: encodePosition(page.next) } : {}),
    };
  }

  @Get(':id')
  get(@Req() req: Request): z.infer<typeof Silence> {
    const scope = this.auth.scope(req);
    const { id } = parse(SilenceIdParams, req.params, 'path');
    return silenceJson(this.silences.find(scope, id), Date.now());
  }

  /** Expires it now; the record stays (deleted, ended) so that every alerter sees it end. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: Request): Promise<void> {
    const scope = this.auth.scope(req);
    const { id } = parse(SilenceIdParams, req.params, 'path');
    await this.silences.expire(scope, id);
  }
}
