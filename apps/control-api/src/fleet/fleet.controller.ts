import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { z } from 'zod';
import { ApiAuth } from '../auth/api-auth';
import { CONTROL_API_CONFIG, ControlApiConfig } from '../control-api.config';
import { Agent, AgentIdParams, AgentPage, Containers, ListAgentsQuery } from '../http/api-schemas';
import { fail } from '../http/problem';
import { parse } from '../http/validate';
import { AgentState, FleetView } from './fleet.view';

@Controller('v1/agents')
export class FleetController {
  constructor(
    @Inject(ApiAuth) private readonly auth: ApiAuth,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(CONTROL_API_CONFIG) private readonly config: ControlApiConfig,
  ) {}

  @Get()
  list(@Req() req: Request): z.infer<typeof AgentPage> {
    const tenant = this.tenantOf(req);
    const query = parse(ListAgentsQuery, req.query, 'query');
    const now = Date.now();
    const items: z.infer<typeof Agent>[] = [];
    for (const agent of this.fleet.list(tenant)) {
      if (query.cursor !== undefined && agent.agentId <= query.cursor) continue;
      const view = this.view(agent, now);
      if (query.status !== undefined && view.status !== query.status) continue;
      if (items.length === query.limit) return { items, next_cursor: items[items.length - 1].agent_id };
      items.push(view);
    }
    return { items };
  }

  @Get(':agent_id')
  get(@Req() req: Request): z.infer<typeof Agent> {
    return this.view(this.find(req), Date.now());
  }

  @Get(':agent_id/containers')
  containers(@Req() req: Request): z.infer<typeof Containers> {
    const agent = this.find(req);
    return {
      agent_id: agent.agentId,
      hosts: [...agent.containers.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([host, list]) => ({
          host,
          reported_at: new Date(list.reportedAtMs).toISOString(),
          containers: list.containers.map((c) => ({
            id: c.id,
            name: c.name,
            image: c.image,
            state: c.state,
            status: c.status,
          })),
        })),
    };
  }

  private tenantOf(req: Request): string | undefined {
    const scope = this.auth.scope(req);
    return scope.kind === 'tenant' ? scope.tenant : undefined;
  }

  /** An agent of another tenant is answered like one that does not exist. */
  private find(req: Request): AgentState {
    const tenant = this.tenantOf(req);
    const { agent_id } = parse(AgentIdParams, req.params, 'path');
    const agent = this.fleet.get(tenant, agent_id);
    if (!agent) fail('not_found', `no agent ${agent_id}`);
    return agent;
  }

  private view(agent: AgentState, now: number): z.infer<typeof Agent> {
    const online = now - agent.lastSeenMs <= this.config.AGENT_OFFLINE_AFTER_MS;
    return {
      agent_id: agent.agentId,
      tenant: agent.tenantId,
      name: agent.name,
      ...(agent.keyId ? { key_id: agent.keyId } : {}),
      hosts: agent.hosts,
      status: online ? 'online' : 'offline',
      last_seen: new Date(agent.lastSeenMs).toISOString(),
      streams: online
        ? [...agent.streams.entries()].map(([id, s]) => ({
            stream_id: id,
            gateway_id: s.gatewayId,
            since: new Date(s.sinceMs).toISOString(),
          }))
        : [],
    };
  }
}
