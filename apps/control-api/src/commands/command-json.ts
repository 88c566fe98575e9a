import type { z } from 'zod';
import type { Command } from '../http/api-schemas';
import type { CommandState } from './command-fold';
import { actionName, statusName } from './command-status';

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/** A command as the API shows it (POST, GET and the list answer with this shape). */
export function commandJson(state: CommandState): z.infer<typeof Command> {
  const r = state.request;
  return {
    command_id: r.commandId,
    tenant: r.tenantId,
    agent_id: r.agentId,
    host: r.host,
    container: r.container,
    container_id: r.containerId,
    container_name: r.containerName,
    // Folded records always have a known status; an action unknown to this build shows as is.
    command: actionName(r.action) ?? (String(r.action) as 'START'),
    status: statusName(state.status)!,
    requested_at: iso(r.requestedAtMs),
    expires_at: iso(r.expiresAtMs),
    requested_by: r.requestedBy,
    ...(r.idempotencyKey ? { idempotency_key: r.idempotencyKey } : {}),
    updated_at: iso(state.updatedAtMs),
    history: state.history.map((t) => ({
      status: statusName(t.status)!,
      at: iso(t.atMs),
      writer: t.writer,
      ...(t.detail ? { detail: t.detail } : {}),
      ...(t.gatewayId ? { gateway_id: t.gatewayId } : {}),
      ...(t.streamId ? { stream_id: t.streamId } : {}),
    })),
  };
}
