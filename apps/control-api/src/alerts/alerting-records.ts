import { randomUUID } from 'node:crypto';
import { alertspb, HEADER, RecordHeaders, SCHEMA } from '@app/contracts';

/** A record for the producer; `value` null is a tombstone (compacted topics). */
export interface AlertingRecord {
  key: string;
  value: Buffer | null;
  headers: RecordHeaders;
}

/** The control API's writes of rules and silences; each resolves once acknowledged (acks=all). */
export interface AlertingWriter {
  writeRule(record: AlertingRecord): Promise<void>;
  writeSilence(record: AlertingRecord): Promise<void>;
  /** Whether the rules and silences topics have been read to where they ended at start. */
  alertingReady(): boolean;
}

function headers(tenant: string, writer: string, atMs: number, schema: string): RecordHeaders {
  return {
    [HEADER.tenantId]: tenant,
    [HEADER.messageId]: randomUUID(),
    [HEADER.receivedAt]: String(atMs),
    [HEADER.gatewayId]: writer,
    [HEADER.schema]: schema,
  };
}

/** `<prefix>alert-rules`, keyed by rule name. */
export function ruleRecord(record: alertspb.AlertRuleRecord, writer: string): AlertingRecord {
  return {
    key: record.rule!.name,
    value: Buffer.from(alertspb.AlertRuleRecord.encode(record).finish()),
    headers: headers(record.rule!.tenantId, writer, Number(record.updatedAtMs), SCHEMA.alertRule),
  };
}

/** The tombstone that deletes a rule: compaction keeps no value for the name. */
export function ruleTombstone(name: string, tenant: string, writer: string, atMs: number): AlertingRecord {
  return { key: name, value: null, headers: headers(tenant, writer, atMs, SCHEMA.alertRule) };
}

/** `<prefix>silences`, keyed by silence id. */
export function silenceRecord(silence: alertspb.SilenceRecord, writer: string, atMs: number): AlertingRecord {
  return {
    key: silence.id,
    value: Buffer.from(alertspb.SilenceRecord.encode(silence).finish()),
    headers: headers(silence.tenantId, writer, atMs, SCHEMA.silence),
  };
}
