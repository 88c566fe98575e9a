import { alertspb, commandspb } from '@app/contracts';
import { CommandsView } from '../../commands/commands.view';
import { alertJson } from './alert-json';
import { AlertsView } from './alerts.view';

const { AlertState } = alertspb;
const transition = (
  fingerprint: string,
  state: alertspb.AlertState,
  atMs: number,
  startsAtMs: number,
  tenantId = 'acme',
) =>
  alertspb.AlertLogRecord.fromPartial({
    emittedAtMs: String(atMs),
    transition: {
      fingerprint,
      ruleName: 'r',
      state,
      atMs: String(atMs),
      startsAtMs: String(startsAtMs),
      endsAtMs: state === AlertState.ALERT_STATE_RESOLVED ? String(atMs) : '0',
      tenantId,
      agentId: 'ag_1',
    },
  });
const remediation = (fingerprint: string, commandId: string) =>
  alertspb.AlertLogRecord.fromPartial({
    remediation: { fingerprint, commandId, attempt: 1, command: 'RESTART' },
  });
const notified = (fingerprint: string, ok: boolean) =>
  alertspb.AlertLogRecord.fromPartial({
    emittedAtMs: '5',
    notified: {
      fingerprint,
      channel: 'webhook',
      state: AlertState.ALERT_STATE_FIRING,
      ok,
      attempts: ok ? 2 : 1,
    },
  });
const ALL = [AlertState.ALERT_STATE_PENDING, AlertState.ALERT_STATE_FIRING, AlertState.ALERT_STATE_RESOLVED];

describe('AlertsView', () => {
  let now = 1_000_000;
  const view = () => new AlertsView(100_000, () => now, 0);

  it('holds the latest transition per fingerprint; an older one emitted again is ignored', () => {
    const v = view();
    v.apply(transition('f', AlertState.ALERT_STATE_PENDING, 10, 10));
    v.apply(transition('f', AlertState.ALERT_STATE_FIRING, 20, 20));
    expect(v.apply(transition('f', AlertState.ALERT_STATE_PENDING, 10, 10))).toBe(false);
    expect(v.get('f')?.transition.state).toBe(AlertState.ALERT_STATE_FIRING);
    expect(v.apply(transition('f', AlertState.ALERT_STATE_UNSPECIFIED, 30, 20))).toBe(false);
  });

  it('keeps notifications (latest per channel and state) and remediation (once per command) for the episode', () => {
    const v = view();
    expect(v.apply(remediation('unknown', 'c0'))).toBe(false);
    v.apply(transition('f', AlertState.ALERT_STATE_FIRING, now - 80, now - 80));
    v.apply(notified('f', false));
    v.apply(notified('f', true));
    v.apply(remediation('f', 'c1'));
    expect(v.apply(remediation('f', 'c1'))).toBe(false);
    const entry = v.get('f')!;
    expect([...entry.notifications.values()].map((n) => [n.ok, n.attempts])).toEqual([[true, 2]]);
    expect([...entry.remediation.keys()]).toEqual(['c1']);
    v.apply(transition('f', AlertState.ALERT_STATE_RESOLVED, now - 70, now - 80));
    expect(v.get('f')!.remediation.size).toBe(1);
    v.apply(transition('f', AlertState.ALERT_STATE_FIRING, now - 60, now - 60));
    expect([v.get('f')!.remediation.size, v.get('f')!.notifications.size]).toEqual([0, 0]);
  });

  it('forgets a resolved alert after the retention; firing ones stay', () => {
    const v = view();
    v.apply(transition('old', AlertState.ALERT_STATE_RESOLVED, now - 200_000, now - 300_000));
    expect(v.size).toBe(0);
    v.apply(transition('r', AlertState.ALERT_STATE_RESOLVED, now - 10, now - 20));
    v.apply(transition('f', AlertState.ALERT_STATE_FIRING, now - 500_000, now - 500_000));
    now += 200_000;
    expect(v.page({ tenant: undefined, states: ALL }, 10).items.map((e) => e.transition.fingerprint)).toEqual(
      ['f'],
    );
  });

  it('filters by state, tenant, rule and agent; pages newest start first', () => {
    const v = view();
    v.apply(transition('a', AlertState.ALERT_STATE_FIRING, now, now - 3));
    v.apply(transition('b', AlertState.ALERT_STATE_PENDING, now, now - 2, 'globex'));
    v.apply(transition('c', AlertState.ALERT_STATE_FIRING, now, now - 1));
    const ids = (p: { items: { transition: { fingerprint: string } }[] }) =>
      p.items.map((e) => e.transition.fingerprint);
    expect(ids(v.page({ tenant: undefined, states: ALL }, 10))).toEqual(['c', 'b', 'a']);
    expect(ids(v.page({ tenant: 'acme', states: ALL }, 10))).toEqual(['c', 'a']);
    expect(ids(v.page({ tenant: undefined, states: [AlertState.ALERT_STATE_PENDING] }, 10))).toEqual(['b']);
    expect(ids(v.page({ tenant: undefined, states: ALL, rule: 'other' }, 10))).toEqual([]);
    expect(ids(v.page({ tenant: undefined, states: ALL, agentId: 'ag_1' }, 10))).toHaveLength(3);
    const first = v.page({ tenant: undefined, states: ALL }, 2);
    expect(ids(v.page({ tenant: undefined, states: ALL }, 2, first.next))).toEqual(['a']);
  });

  it('shows the remediation command status from the commands read model, unknown when it is not there', () => {
    const v = view();
    v.apply(transition('f', AlertState.ALERT_STATE_FIRING, 20, 20));
    v.apply(remediation('f', 'c1'));
    v.apply(remediation('f', 'c2'));
    const commands = new CommandsView({ retentionMs: 10 ** 12 });
    const request = commandspb.CommandRequest.fromPartial({
      commandId: 'c1',
      tenantId: 'acme',
      requestedAtMs: String(Date.now()),
      expiresAtMs: String(Date.now() + 60_000),
    });
    for (const [status, detail] of [
      [commandspb.CommandStatus.COMMAND_STATUS_PENDING, ''],
      [commandspb.CommandStatus.COMMAND_STATUS_FAILED, 'exit code 1'],
    ] as const)
      commands.apply(
        commandspb.CommandStatusChanged.fromPartial({
          commandId: 'c1',
          status,
          atMs: String(Date.now()),
          detail,
          command: request,
        }),
      );
    expect(alertJson(v.get('f')!, commands).remediation).toEqual([
      { command_id: 'c1', attempt: 1, command: 'RESTART', status: 'failed', detail: 'exit code 1' },
      { command_id: 'c2', attempt: 1, command: 'RESTART', status: 'unknown' },
    ]);
  });
});
