import { alertspb, HEADER } from '@app/contracts';
import { alertRows } from './alerts.projection';
import { ProjectionError, SourceRecord } from './source-record';

const { AlertState } = alertspb;
interface LogEntry {
  recordId?: string;
  emittedAtMs?: string;
  writer?: string;
  transition?: Partial<alertspb.AlertTransition>;
  notified?: Partial<alertspb.AlertNotified>;
  remediation?: Partial<alertspb.AlertRemediation>;
}

const transition: alertspb.AlertTransition = alertspb.AlertTransition.fromPartial({
  fingerprint: 'fp_1',
  ruleName: 'high-cpu',
  state: AlertState.ALERT_STATE_FIRING,
  atMs: '1764000001000',
  startsAtMs: '1764000000000',
  labels: { alertname: 'high-cpu', severity: 'critical', team: 'web' },
  annotations: { summary: 'cpu above 90%' },
  tenantId: 'acme',
  agentId: 'ag_1',
  host: 'docker-a',
  containerId: 'c'.repeat(64),
  containerName: 'web',
  value: '97.5',
});

const record = (entry: LogEntry, headers: Record<string, string> = {}): SourceRecord => ({
  partition: 3,
  offset: '12',
  value: alertspb.AlertLogRecord.encode(
    alertspb.AlertLogRecord.fromPartial<LogEntry>({
      recordId: 'rec_1',
      emittedAtMs: '1764000001500',
      writer: 'alerter-1',
      ...entry,
    }),
  ).finish(),
  headers,
});

describe('alerts projection', () => {
  it('maps a transition to one row; severity from its labels; no ends_at until resolved', () => {
    expect(alertRows(record({ transition }))).toEqual([
      {
        ts: 1764000001000,
        emitted_at: 1764000001500,
        tenant_id: 'acme',
        agent_id: 'ag_1',
        host: 'docker-a',
        container_id: 'c'.repeat(64),
        container_name: 'web',
        rule_name: 'high-cpu',
        fingerprint: 'fp_1',
        state: 'firing',
        starts_at: 1764000000000,
        ends_at: null,
        severity: 'critical',
        labels: { alertname: 'high-cpu', severity: 'critical', team: 'web' },
        annotations: { summary: 'cpu above 90%' },
        value: '97.5',
        writer: 'alerter-1',
        record_id: 'rec_1',
        received_at: 1764000001500,
        message_id: 'rec_1',
        _src_partition: 3,
        _src_offset: '12',
      },
    ]);
    const resolved = { ...transition, state: AlertState.ALERT_STATE_RESOLVED, endsAtMs: '1764000060000' };
    const [row] = alertRows(
      record({ transition: resolved }, { [HEADER.tenantId]: 'acme', [HEADER.messageId]: 'm-9' }),
    );
    expect(row).toMatchObject({ state: 'resolved', ends_at: 1764000060000, message_id: 'm-9' });
    const pending = { ...transition, state: AlertState.ALERT_STATE_PENDING, agentId: '', labels: {} };
    expect(alertRows(record({ transition: pending }))[0]).toMatchObject({
      state: 'pending',
      agent_id: '',
      severity: '',
    });
  });

  it('makes no row of notifications, remediation, or an entry this build does not know', () => {
    expect(
      alertRows(record({ notified: { fingerprint: 'fp_1', channel: 'webhook', ok: true, attempts: 1 } })),
    ).toEqual([]);
    expect(
      alertRows(
        record({ remediation: { fingerprint: 'fp_1', commandId: 'c', attempt: 1, command: 'RESTART' } }),
      ),
    ).toEqual([]);
    expect(alertRows(record({}))).toEqual([]);
  });

  it.each([
    ['garbage bytes', { ...record({ transition }), value: Buffer.from([0x0a, 0xff]) }, /undecodable/],
    ['no fingerprint', record({ transition: { ...transition, fingerprint: '' } }), /without a fingerprint/],
    [
      'an unknown state',
      record({ transition: { ...transition, state: AlertState.ALERT_STATE_UNSPECIFIED } }),
      /unknown alert state 0/,
    ],
    ['no tenant', record({ transition: { ...transition, tenantId: '' } }), /without a tenant id/],
    [
      'a header of another tenant',
      record({ transition }, { [HEADER.tenantId]: 'globex' }),
      /differs from the tenant-id header/,
    ],
    [
      'a header of another agent',
      record({ transition }, { [HEADER.agentId]: 'ag_2' }),
      /differs from the agent-id header/,
    ],
    ['no time', record({ transition: { ...transition, atMs: '0' } }), /without at_ms/],
  ])('refuses %s with a ProjectionError', (_label, input, message) => {
    expect(() => alertRows(input)).toThrow(ProjectionError);
    expect(() => alertRows(input)).toThrow(message);
  });
});
