import { Controller, Delete, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { z } from 'zod';
import { AgentKeyEvent } from '@app/contracts';
import { ApiAuth } from '../auth/api-auth';
import {
  AgentKey,
  IssueKeyBody,
  IssuedKey,
  KeyIdParams,
  ListKeysQuery,
  RotateKeyBody,
} from '../http/api-schemas';
import { parse } from '../http/validate';
import { AgentKeysService } from './agent-keys.service';
import { KeyStore, statusOf } from './key-store';

@Controller('v1/agent-keys')
export class AgentKeysController {
  constructor(
    @Inject(ApiAuth) private readonly auth: ApiAuth,
    @Inject(AgentKeysService) private readonly keys: AgentKeysService,
    @Inject(KeyStore) private readonly store: KeyStore,
  ) {}

  @Post()
  @HttpCode(201)
  async issue(@Req() req: Request): Promise<z.infer<typeof IssuedKey>> {
    const scope = this.auth.scope(req);
    const body = parse(IssueKeyBody, req.body, 'body');
    const { event, key } = await this.keys.issue(scope, body.name, body.tenant);
    return issued(event, key);
  }

  @Get()
  list(@Req() req: Request): { items: z.infer<typeof AgentKey>[]; next_cursor?: string } {
    const scope = this.auth.scope(req);
    const query = parse(ListKeysQuery, req.query, 'query');
    const tenant = scope.kind === 'tenant' ? scope.tenant : undefined;
    const page = this.store.page(tenant, query.limit, query.cursor);
    return { items: page.items.map((e) => keyView(e)), ...(page.next ? { next_cursor: page.next } : {}) };
  }

  @Get(':key_id')
  get(@Req() req: Request): z.infer<typeof AgentKey> {
    const scope = this.auth.scope(req);
    const { key_id } = parse(KeyIdParams, req.params, 'path');
    return keyView(this.keys.visible(scope, key_id));
  }

  @Post(':key_id/rotate')
  @HttpCode(201)
  async rotate(@Req() req: Request): Promise<z.infer<typeof IssuedKey>> {
    const scope = this.auth.scope(req);
    const { key_id } = parse(KeyIdParams, req.params, 'path');
    const body = parse(RotateKeyBody, req.body, 'body');
    const { event, key } = await this.keys.rotate(scope, key_id, body.grace_seconds);
    return issued(event, key);
  }

  @Delete(':key_id')
  @HttpCode(204)
  async revoke(@Req() req: Request): Promise<void> {
    const scope = this.auth.scope(req);
    const { key_id } = parse(KeyIdParams, req.params, 'path');
    await this.keys.revoke(scope, key_id);
  }
}

function iso(ms: string): string {
  return new Date(Number(ms)).toISOString();
}

function issued(event: AgentKeyEvent, key: string): z.infer<typeof IssuedKey> {
  return {
    key_id: event.keyId,
    agent_id: event.agentId,
    tenant: event.tenantId,
    name: event.name,
    key,
    created_at: iso(event.createdAtMs),
    ...(event.rotatedFrom ? { rotated_from: event.rotatedFrom } : {}),
  };
}

function keyView(event: AgentKeyEvent): z.infer<typeof AgentKey> {
  return {
    key_id: event.keyId,
    agent_id: event.agentId,
    tenant: event.tenantId,
    name: event.name,
    status: statusOf(event),
    created_at: iso(event.createdAtMs),
    updated_at: iso(event.occurredAtMs),
    ...(event.expiresAtMs !== '0' ? { expires_at: iso(event.expiresAtMs) } : {}),
    ...(event.rotatedFrom ? { rotated_from: event.rotatedFrom } : {}),
    ...(event.rotatedTo ? { rotated_to: event.rotatedTo } : {}),
  };
}
