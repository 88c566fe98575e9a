import type { alerts, RowOf } from '@app/clickhouse';
import { alertspb, HEADER } from '@app/contracts';
import { epochMs, ProjectionError, SourceRecord } from './source-record';

export type AlertRow = RowOf<typeof alerts>;

const { AlertState } = alertspb;

export const ALERT_STATE_NAMES: Record<number, string> = {
  [AlertState.ALERT_STATE_PENDING]: 'pending',
  [AlertState.ALERT_STATE_FIRING]: 'firing',
  [AlertState.ALERT_STATE_RESOLVED]: 'resolved',
};

/**
 * One AlertLogRecord (topic alerts, keyed by fingerprint) → one row of `alerts` when it is a
 * transition; notifications and remediation records (and entries of a newer alerter this build
 * does not know) make no row: they stay on the topic, and the control API shows them per alert.
 * The tenant comes from the transition (the tenant-id header, when present, must agree); a
 * transition without fingerprint, tenant or time, or with a state this build does not know, is
 * refused (DLQ).
 */
export function alertRows(record: SourceRecord): AlertRow[] {
  let entry: alertspb.AlertLogRecord;
  try {
    entry = alertspb.AlertLogRecord.decode(record.value);
  } catch (error) {
    throw new ProjectionError(`undecodable AlertLogRecord: ${(error as Error).message}`);
  }
  const t = entry.transition;
  if (!t) return [];
  if (!t.fingerprint) throw new ProjectionError('alert transition without a fingerprint');
  const state = ALERT_STATE_NAMES[t.state];
  if (!state) throw new ProjectionError(`unknown alert state ${t.state}`);
  const tenant = agreeing('tenant', t.tenantId, record.headers[HEADER.tenantId], true);
  const agent = agreeing('agent', t.agentId, record.headers[HEADER.agentId], false);
  const at = epochMs(t.atMs);
  if (at === 0) throw new ProjectionError('alert transition without at_ms');
  const emittedAt = epochMs(entry.emittedAtMs) || at;
  const endsAt = epochMs(t.endsAtMs);
  const receivedAt = Number(record.headers[HEADER.receivedAt]);
  return [
    {
      ts: at,
      emitted_at: emittedAt,
      tenant_id: tenant,
      agent_id: agent,
      host: t.host,
      container_id: t.containerId,
      container_name: t.containerName,
      rule_name: t.ruleName,
      fingerprint: t.fingerprint,
      state,
      starts_at: epochMs(t.startsAtMs) || at,
      ends_at: endsAt === 0 ? null : endsAt,
      severity: t.labels.severity ?? '',
      labels: t.labels,
      annotations: t.annotations,
      value: t.value,
      writer: entry.writer,
      record_id: entry.recordId,
      // Written by the alerter, not received from an agent: its clock when there is no header.
      received_at: Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : emittedAt,
      message_id:
        record.headers[HEADER.messageId] || entry.recordId || `${record.partition}:${record.offset}`,
      _src_partition: record.partition,
      _src_offset: record.offset,
    },
  ];
}

function agreeing(
  what: string,
  fromTransition: string,
  fromHeader: string | undefined,
  required: boolean,
): string {
  if (fromTransition && fromHeader && fromTransition !== fromHeader) {
    throw new ProjectionError(
      `${what} ${fromTransition} of the transition differs from the ${what}-id header ${fromHeader}`,
    );
  }
  const value = fromTransition || fromHeader || '';
  if (required && !value) throw new ProjectionError(`alert transition without a ${what} id`);
  return value;
}
