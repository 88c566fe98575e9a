import { HEADER } from '@app/contracts';

/** A Kafka record as the projections see it: bytes plus the headers the gateway put on it. */
export interface SourceRecord {
  partition: number;
  offset: string;
  value: Uint8Array;
  headers: Record<string, string>;
}

export class ProjectionError extends Error {}

export interface SourceColumns {
  tenant_id: string;
  agent_id: string;
  received_at: number;
  message_id: string;
  _src_partition: number;
  _src_offset: string;
}

/** Columns every row takes from its record's headers and position. */
export function sourceColumns(record: SourceRecord): SourceColumns {
  const tenant = record.headers[HEADER.tenantId];
  const agent = record.headers[HEADER.agentId];
  if (!tenant || !agent) throw new ProjectionError('record lacks tenant-id or agent-id header');
  const receivedAt = Number(record.headers[HEADER.receivedAt]);
  return {
    tenant_id: tenant,
    agent_id: agent,
    received_at: Number.isFinite(receivedAt) ? receivedAt : 0,
    message_id: record.headers[HEADER.messageId] ?? `${record.partition}:${record.offset}`,
    _src_partition: record.partition,
    _src_offset: record.offset,
  };
}

/** Epoch ms from a normalized int64 string; the gateway already rejected absurd values. */
export function epochMs(value: string): number {
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new ProjectionError(`invalid timestamp ${value}`);
  return ms;
}
