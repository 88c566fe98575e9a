import { randomUUID } from 'node:crypto';
import { HEADER, RecordHeaders, SCHEMA } from './headers';
import * as commandspb from './generated/containeragent/events/v1/commands';

/** A record for the producer: topic-independent key, value and headers. Shared by the control-api and the alerter (remediation), which both request commands. */
export interface OutgoingRecord {
  key: string;
  value: Buffer;
  headers: RecordHeaders;
}

function headers(
  request: commandspb.CommandRequest,
  messageId: string,
  atMs: string,
  writer: string,
  schema: string,
): RecordHeaders {
  return {
    [HEADER.tenantId]: request.tenantId,
    [HEADER.agentId]: request.agentId,
    [HEADER.messageId]: messageId,
    [HEADER.receivedAt]: atMs,
    [HEADER.gatewayId]: writer,
    [HEADER.schema]: schema,
  };
}

/** One transition of a command, for `<prefix>command-status`, keyed by command id. */
export function statusChange(
  request: commandspb.CommandRequest,
  status: commandspb.CommandStatus,
  writer: string,
  atMs: number,
  detail = '',
): commandspb.CommandStatusChanged {
  return commandspb.CommandStatusChanged.fromPartial({
    eventId: randomUUID(),
    commandId: request.commandId,
    status,
    atMs: String(atMs),
    detail,
    writer,
    command: request,
  });
}

export function statusRecord(event: commandspb.CommandStatusChanged): OutgoingRecord {
  const request = event.command!;
  return {
    key: event.commandId,
    value: Buffer.from(commandspb.CommandStatusChanged.encode(event).finish()),
    headers: headers(request, event.eventId, event.atMs, event.writer, SCHEMA.commandStatus),
  };
}

/** The request on the agent's command log, `<prefix>commands`, keyed by agent id. */
export function requestLogRecord(
  request: commandspb.CommandRequest,
  writer: string,
  atMs: number,
): { record: commandspb.CommandLogRecord; outgoing: OutgoingRecord } {
  const record = commandspb.CommandLogRecord.fromPartial({
    recordId: randomUUID(),
    tenantId: request.tenantId,
    agentId: request.agentId,
    atMs: String(atMs),
    writer,
    requested: request,
  });
  return {
    record,
    outgoing: {
      key: request.agentId,
      value: Buffer.from(commandspb.CommandLogRecord.encode(record).finish()),
      headers: headers(request, record.recordId, record.atMs, writer, SCHEMA.commandLog),
    },
  };
}
