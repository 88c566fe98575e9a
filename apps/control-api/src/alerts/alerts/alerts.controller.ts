import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { z } from 'zod';
import { ApiAuth } from '../../auth/api-auth';
import { canSee } from '../../auth/api-tokens';
import { CommandsView } from '../../commands/commands.view';
import { fail } from '../../http/problem';
import { parse } from '../../http/validate';
import { Alert, AlertPage, FingerprintParams, ListAlertsQuery } from '../alerting.schemas';
import { decodePosition, encodePosition } from '../alerting-cursor';
import { alertJson, alertStateFromName } from './alert-json';
import { AlertsView } from './alerts.view';

@Controller('v1/alerts')
export class AlertsController {
  constructor(
    @Inject(ApiAuth) private readonly auth: ApiAuth,
    @Inject(AlertsView) private readonly view: AlertsView,
    @Inject(CommandsView) private readonly commands: CommandsView,
  ) {}

  /** Default: firing and pending; newest start first. */
  @Get()
  list(@Req() req: Request): z.infer<typeof AlertPage> {
    const scope = this.auth.scope(req);
    const query = parse(ListAlertsQuery, req.query, 'query');
    const after = query.cursor === undefined ? undefined : decodePosition(query.cursor);
    if (query.cursor !== undefined && !after)
      fail('invalid_request', '/query/cursor: a cursor from next_cursor', '/query/cursor');
    const page = this.view.page(
      {
        tenant: scope.kind === 'tenant' ? scope.tenant : undefined,
        states: query.state.map(alertStateFromName),
        rule: query.rule,
        agentId: query.agent_id,
      },
      query.limit,
      after,
    );
    return {
      items: page.items.map((e) => alertJson(e, this.commands)),
      ...(page.next ? { next_cursor: encodePosition(page.next) } : {}),
    };
  }

  /** An alert of another tenant is answered like one that does not exist. */
  @Get(':fingerprint')
  get(@Req() req: Request): z.infer<typeof Alert> {
    const scope = this.auth.scope(req);
    const { fingerprint } = parse(FingerprintParams, req.params, 'path');
    const entry = this.view.get(fingerprint);
    if (!entry || !canSee(scope, entry.transition.tenantId))
      fail('not_found', `alert ${fingerprint} not found`);
    return alertJson(entry, this.commands);
  }
}
