import { Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { z } from 'zod';
import { ApiAuth } from '../auth/api-auth';
import { canSee } from '../auth/api-tokens';
import {
  Command,
  CommandIdParams,
  CommandPage,
  CreateCommandBody,
  ListCommandsQuery,
} from '../http/api-schemas';
import { fail } from '../http/problem';
import { parse } from '../http/validate';
import { decodeCursor, encodeCursor } from './command-cursor';
import { commandJson } from './command-json';
import { statusFromName } from './command-status';
import { CommandsService } from './commands.service';
import { CommandsView } from './commands.view';
import { idempotencyKeyOf } from './idempotency';

@Controller('v1/commands')
export class CommandsController {
  constructor(
    @Inject(ApiAuth) private readonly auth: ApiAuth,
    @Inject(CommandsService) private readonly commands: CommandsService,
    @Inject(CommandsView) private readonly view: CommandsView,
  ) {}

  /** 202: accepted, not done; follow it with GET. A retry with the same Idempotency-Key gets the same command. */
  @Post()
  @HttpCode(202)
  async create(@Req() req: Request): Promise<z.infer<typeof Command>> {
    const scope = this.auth.scope(req);
    const key = idempotencyKeyOf(req.headers['idempotency-key']);
    const body = parse(CreateCommandBody, req.body, 'body');
    return commandJson(await this.commands.create(scope, body, key));
  }

  @Get()
  list(@Req() req: Request): z.infer<typeof CommandPage> {
    const scope = this.auth.scope(req);
    const query = parse(ListCommandsQuery, req.query, 'query');
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after)
      fail('invalid_request', '/query/cursor: a cursor from next_cursor', '/query/cursor');
    const page = this.view.page(
      {
        tenant: scope.kind === 'tenant' ? scope.tenant : undefined,
        agentId: query.agent_id,
        status: query.status === undefined ? undefined : statusFromName(query.status),
      },
      query.limit,
      after,
    );
    return {
      items: page.items.map(commandJson),
      ...(page.next ? { next_cursor: encodeCursor(page.next) } : {}),
    };
  }

  /** A command of another tenant is answered like one that does not exist. */
  @Get(':command_id')
  get(@Req() req: Request): z.infer<typeof Command> {
    const scope = this.auth.scope(req);
    const { command_id } = parse(CommandIdParams, req.params, 'path');
    const state = this.view.get(command_id);
    if (!state || !canSee(scope, state.request.tenantId))
      fail('not_found', `command ${command_id} not found`);
    return commandJson(state);
  }
}
