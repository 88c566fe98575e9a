import type { commands, RowOf } from '@app/clickhouse';
import { commandspb, HEADER } from '@app/contracts';
import { epochMs, ProjectionError, SourceRecord } from './source-record';

export type CommandRow = RowOf<typeof commands>;

const { CommandAction, CommandStatus } = commandspb;

export const STATUS_NAMES: Record<number, string> = {
  [CommandStatus.COMMAND_STATUS_PENDING]: 'pending',
  [CommandStatus.COMMAND_STATUS_DELIVERED]: 'delivered',
  [CommandStatus.COMMAND_STATUS_SUCCEEDED]: 'succeeded',
  [CommandStatus.COMMAND_STATUS_FAILED]: 'failed',
  [CommandStatus.COMMAND_STATUS_TIMED_OUT]: 'timed_out',
  [CommandStatus.COMMAND_STATUS_EXPIRED]: 'expired',
};

export const ACTION_NAMES: Record<number, string> = {
  [CommandAction.COMMAND_ACTION_START]: 'START',
  [CommandAction.COMMAND_ACTION_STOP]: 'STOP',
  [CommandAction.COMMAND_ACTION_RESTART]: 'RESTART',
};

/**
 * One CommandStatusChanged (topic command-status, keyed by command_id) → one row of `commands`.
 * Tenant and agent come from the request the record carries (the headers, when present, must
 * agree: a record that names two tenants is refused, not guessed). A record without its request,
 * command id or time, or with a status or action this version does not know, is refused (DLQ).
 */
export function commandRows(record: SourceRecord): CommandRow[] {
  let change: commandspb.CommandStatusChanged;
  try {
    change = commandspb.CommandStatusChanged.decode(record.value);
  } catch (error) {
    throw new ProjectionError(`undecodable CommandStatusChanged: ${(error as Error).message}`);
  }
  const request = change.command;
  if (!request) throw new ProjectionError('command status without its command request');
  const commandId = change.commandId || request.commandId;
  if (!commandId) throw new ProjectionError('command status without a command id');
  if (request.commandId && change.commandId && request.commandId !== change.commandId) {
    throw new ProjectionError(
      `command id ${change.commandId} differs from its request's ${request.commandId}`,
    );
  }
  const status = STATUS_NAMES[change.status];
  if (!status) throw new ProjectionError(`unknown command status ${change.status}`);
  const action = ACTION_NAMES[request.action];
  if (!action) throw new ProjectionError(`unknown command action ${request.action}`);
  const tenant = agreeing('tenant', request.tenantId, record.headers[HEADER.tenantId]);
  const agent = agreeing('agent', request.agentId, record.headers[HEADER.agentId]);
  const at = epochMs(change.atMs);
  if (at === 0) throw new ProjectionError('command status without at_ms');
  const receivedAt = Number(record.headers[HEADER.receivedAt]);
  return [
    {
      ts: at,
      tenant_id: tenant,
      agent_id: agent,
      command_id: commandId,
      status,
      action,
      host: request.host,
      container: request.container,
      container_id: request.containerId,
      container_name: request.containerName,
      requested_at: epochMs(request.requestedAtMs),
      expires_at: epochMs(request.expiresAtMs),
      requested_by: request.requestedBy,
      detail: change.detail,
      writer: change.writer,
      gateway_id: change.gatewayId,
      stream_id: change.streamId,
      event_id: change.eventId,
      // The writer's clock when it has no received-at header: these records are written by the
      // platform itself, not received from an agent.
      received_at: Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : at,
      message_id:
        record.headers[HEADER.messageId] || change.eventId || `${record.partition}:${record.offset}`,
      _src_partition: record.partition,
      _src_offset: record.offset,
    },
  ];
}

function agreeing(what: string, fromRequest: string, fromHeader: string | undefined): string {
  if (fromRequest && fromHeader && fromRequest !== fromHeader) {
    throw new ProjectionError(
      `${what} ${fromRequest} of the request differs from the ${what}-id header ${fromHeader}`,
    );
  }
  const value = fromRequest || fromHeader;
  if (!value) throw new ProjectionError(`command status without a ${what} id`);
  return value;
}
