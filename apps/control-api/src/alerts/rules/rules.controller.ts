import { Controller, Delete, Get, HttpCode, Inject, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { ApiAuth } from '../../auth/api-auth';
import { fail } from '../../http/problem';
import { parse } from '../../http/validate';
import { AlertRule, AlertRulePage, ListRulesQuery, RULE_NAME, RuleNameParams } from '../alerting.schemas';
import { ruleJson } from './rule-json';
import { RulesService } from './rules.service';
import { RulesView } from './rules.view';

/** Rules set through the API; the alerter's YAML file rules are not here (see the alerter's status). */
@Controller('v1/alert-rules')
export class RulesController {
  constructor(
    @Inject(ApiAuth) private readonly auth: ApiAuth,
    @Inject(RulesService) private readonly rules: RulesService,
    @Inject(RulesView) private readonly view: RulesView,
  ) {}

  /** 201 when the rule is new, 200 when it replaced one. */
  @Put(':name')
  async put(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof AlertRule>> {
    const scope = this.auth.scope(req);
    const { name } = parse(RuleNameParams, req.params, 'path');
    const { record, created } = await this.rules.put(scope, name, req.body);
    res.status(created ? 201 : 200);
    return ruleJson(record);
  }

  /** By name; a tenant token sees its tenant's rules only. */
  @Get()
  list(@Req() req: Request): z.infer<typeof AlertRulePage> {
    const scope = this.auth.scope(req);
    const query = parse(ListRulesQuery, req.query, 'query');
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (!RULE_NAME.safeParse(after).success)
        fail('invalid_request', '/query/cursor: a cursor from next_cursor', '/query/cursor');
    }
    const page = this.view.page(scope.kind === 'tenant' ? scope.tenant : undefined, query.limit, after);
    return {
      items: page.items.map(ruleJson),
      ...(page.next ? { next_cursor: Buffer.from(page.next).toString('base64url') } : {}),
    };
  }

  @Get(':name')
  get(@Req() req: Request): z.infer<typeof AlertRule> {
    const scope = this.auth.scope(req);
    const { name } = parse(RuleNameParams, req.params, 'path');
    return ruleJson(this.rules.visible(scope, name, true)!);
  }

  /** Writes the name's tombstone: every alerter drops the rule. */
  @Delete(':name')
  @HttpCode(204)
  async remove(@Req() req: Request): Promise<void> {
    const scope = this.auth.scope(req);
    const { name } = parse(RuleNameParams, req.params, 'path');
    await this.rules.remove(scope, name);
  }
}
