import { commandspb } from '@app/contracts';
import { CommandLedger, Decision } from './command-ledger';

const { CommandAction, CommandStatus } = commandspb;
const T0 = 1_700_000_000_000;
const TIMINGS = {
  outcomeTimeoutMs: 60_000,
  presenceStaleMs: 1_200_000,
  dispatchConfirmMs: 30_000,
  startSettleMs: 1000,
};

function request(id: string, action = CommandAction.COMMAND_ACTION_RESTART, expiresAt = T0 + 300_000) {
  return commandspb.CommandRequest.fromPartial({
    commandId: id,
    tenantId: 't',
    agentId: 'ag_1',
    host: 'h',
    container: 'web',
    containerId: 'abc123',
    action,
    expiresAtMs: String(expiresAt),
  });
}

/** A ledger fed records in log order, with the clock of each record. */
class Log {
  readonly ledger = new CommandLedger(TIMINGS);
  private offset = 0n;
  add(entry: commandspb.DeepPartial<commandspb.CommandLogRecord>, at = T0): this {
    this.ledger.fold(
      commandspb.CommandLogRecord.fromPartial({ agentId: 'ag_1', tenantId: 't', atMs: String(at), ...entry }),
      this.offset++,
    );
    return this;
  }
  opened(streamId: string, at = T0, openedAt = at) {
    return this.add(
      { streamOpened: { streamId, gatewayId: `gw-${streamId}`, openedAtMs: String(openedAt) } },
      at,
    );
  }
  decide(now = T0, busy: string[] = []): Decision[] {
    return this.ledger.decide(now, new Set(busy));
  }
}

const kinds = (ds: Decision[]) =>
  ds.map((d) =>
    d.kind === 'dispatch'
      ? `dispatch:${d.streamId}${d.watchOnly ? ':watch' : ''}`
      : `conclude:${CommandStatus[d.status]}`,
  );

describe('CommandLedger', () => {
  it('keeps a command pending while the agent has no stream, dispatches when one opens', () => {
    const log = new Log().add({ requested: request('c1') });
    expect(log.decide()).toEqual([]);
    log.opened('s1');
    expect(kinds(log.decide())).toEqual(['dispatch:s1']);
  });

  it("never dispatches to a stream of another tenant's key, even for the same agent id", () => {
    const log = new Log().add({ requested: request('c1') });
    log.add(
      { streamOpened: { streamId: 'x', gatewayId: 'gw-x', openedAtMs: String(T0) }, tenantId: 'other' },
      T0,
    );
    expect(log.decide()).toEqual([]);
  });

  it('dispatches to the newest open stream, never to a stale one', () => {
    const log = new Log()
      .opened('old', T0, T0 - 10)
      .opened('new', T0, T0)
      .add({ requested: request('c1', CommandAction.COMMAND_ACTION_STOP, T0 + 7 * 86_400_000) });
    expect(kinds(log.decide())).toEqual(['dispatch:new']);
    expect(kinds(log.decide(T0 + TIMINGS.presenceStaleMs + 1))).toEqual([]);
  });

  it('does not decide again while a decision is in flight', () => {
    const log = new Log().opened('s1').add({ requested: request('c1') });
    expect(log.decide(T0, ['cmd:c1'])).toEqual([]);
  });

  it('counts only the first dispatch: a second one, to another stream, changes nothing', () => {
    const log = new Log().opened('s1').add({ requested: request('c1') });
    log.add({ dispatched: { command: request('c1'), streamId: 's1', gatewayId: 'gw-s1' } });
    log.opened('s2', T0 + 1);
    log.add({ dispatched: { command: request('c1'), streamId: 's2', gatewayId: 'gw-s2' } });
    expect(kinds(log.decide(T0 + 1))).toEqual([]);
    log.add({ delivered: { commandId: 'c1', streamId: 's1' } });
    // delivered to s1; the agent is now on s2: s2 is asked to watch for the outcome
    expect(kinds(log.decide(T0 + 1))).toEqual(['dispatch:s2:watch']);
  });

  it('a dispatch written after the stream closed is void; a return makes the command pending again', () => {
    const log = new Log().opened('s1').add({ requested: request('c1') });
    log.add({ streamClosed: { streamId: 's1', gatewayId: 'gw-s1' } });
    log.add({ dispatched: { command: request('c1'), streamId: 's1', gatewayId: 'gw-s1' } });
    log.opened('s2', T0 + 5);
    expect(kinds(log.decide(T0 + 5))).toEqual(['dispatch:s2']);

    const returned = new Log().opened('s1').add({ requested: request('c2') });
    returned.add({ dispatched: { command: request('c2'), streamId: 's1', gatewayId: 'gw-s1' } });
    returned.add({ returned: { commandId: 'c2', streamId: 's1' } });
    expect(kinds(returned.decide())).toEqual([]); // s1 is gone with the return
    returned.opened('s3', T0 + 1);
    expect(kinds(returned.decide(T0 + 1))).toEqual(['dispatch:s3']);
  });

  it('expires what was not delivered in time, and never expires a dispatched command', () => {
    const log = new Log().add({ requested: request('c1', CommandAction.COMMAND_ACTION_STOP, T0 + 10) });
    expect(kinds(log.decide(T0 + 10))).toEqual(['conclude:COMMAND_STATUS_EXPIRED']);
    const sent = new Log()
      .opened('s1')
      .add({ requested: request('c2', CommandAction.COMMAND_ACTION_STOP, T0 + 10) });
    sent.add({ dispatched: { command: request('c2'), streamId: 's1', gatewayId: 'gw-s1' } });
    expect(kinds(sent.decide(T0 + 20))).toEqual([]);
  });

  it('reads the outcome from observed events, or times out', () => {
    const delivered = (id: string, action: commandspb.CommandAction) => {
      const log = new Log().opened('s1').add({ requested: request(id, action) });
      log.add({ dispatched: { command: request(id, action), streamId: 's1', gatewayId: 'gw-s1' } });
      return log.add({ delivered: { commandId: id, streamId: 's1' } });
    };
    const observe = (log: Log, id: string, action: string, exitCode = '', at = T0) =>
      log.add({ observed: { commandId: id, streamId: 's1', action, exitCode } }, at);

    expect(
      kinds(observe(delivered('r', CommandAction.COMMAND_ACTION_RESTART), 'r', 'restart').decide()),
    ).toEqual(['conclude:COMMAND_STATUS_SUCCEEDED']);
    const dieStart = observe(delivered('r2', CommandAction.COMMAND_ACTION_RESTART), 'r2', 'die', '143');
    expect(kinds(dieStart.decide())).toEqual([]);
    expect(kinds(observe(dieStart, 'r2', 'start').decide())).toEqual(['conclude:COMMAND_STATUS_SUCCEEDED']);
    expect(
      kinds(observe(delivered('s', CommandAction.COMMAND_ACTION_STOP), 's', 'die', '0').decide()),
    ).toEqual(['conclude:COMMAND_STATUS_SUCCEEDED']);
    const start = observe(delivered('st', CommandAction.COMMAND_ACTION_START), 'st', 'start');
    expect(kinds(start.decide(T0 + 999))).toEqual([]);
    expect(kinds(start.decide(T0 + 1000))).toEqual(['conclude:COMMAND_STATUS_SUCCEEDED']);
    const crash = observe(
      observe(delivered('cr', CommandAction.COMMAND_ACTION_START), 'cr', 'start'),
      'cr',
      'die',
      '1',
    );
    expect(crash.decide(T0 + 5000).map((d) => d.kind === 'conclude' && d.detail)).toEqual([
      'container died with exit code 1 right after it started',
    ]);
    expect(kinds(delivered('q', CommandAction.COMMAND_ACTION_STOP).decide(T0 + 60_000))).toEqual([
      'conclude:COMMAND_STATUS_TIMED_OUT',
    ]);
  });

  it('fails a dispatch whose stream went away unconfirmed, but only after the confirm window', () => {
    const log = new Log().opened('s1').add({ requested: request('c1') });
    log.add({ dispatched: { command: request('c1'), streamId: 's1', gatewayId: 'gw-s1' } });
    log.opened('s2', T0 + 1); // the agent reconnected elsewhere; gw-s1 never answered
    expect(kinds(log.decide(T0 + 29_000))).toEqual([]);
    expect(kinds(log.decide(T0 + 30_000))).toEqual(['conclude:COMMAND_STATUS_FAILED']);
  });

  it('a ledger rebuilt from the needed offset decides nothing again (dispatched, delivered, streams closed since)', () => {
    const records: [Partial<commandspb.CommandLogRecord>, number][] = [];
    const log = new Log();
    const add = (entry: commandspb.DeepPartial<commandspb.CommandLogRecord>, at = T0) => {
      records.push([entry as Partial<commandspb.CommandLogRecord>, at]);
      log.add(entry, at);
    };
    add({ streamOpened: { streamId: 's1', gatewayId: 'gw-s1', openedAtMs: String(T0) } }); // 0
    add({ requested: request('c1') }); // 1: delivered, then its stream closes
    add({ requested: request('c2') }); // 2: dispatched, unconfirmed
    add({ dispatched: { command: request('c1'), streamId: 's1', gatewayId: 'gw-s1' } });
    add({ dispatched: { command: request('c2'), streamId: 's1', gatewayId: 'gw-s1' } });
    add({ delivered: { commandId: 'c1', streamId: 's1' } });
    add({ streamClosed: { streamId: 's1', gatewayId: 'gw-s1' } });
    const needed = log.ledger.neededOffset(T0);
    expect(needed).toBe(0n); // c2's stream presence
    const rebuilt = new Log();
    records.slice(Number(needed)).forEach(([entry, at]) => rebuilt.add(entry, at));
    rebuilt.opened('s2', T0 + 1); // the agent is back on another stream
    expect(kinds(rebuilt.decide(T0 + 1))).toEqual(['dispatch:s2:watch']); // c1 watched, never sent again

    // Even from a later start (c1's request), the `delivered` record keeps c1 off the new stream.
    const later = new Log();
    records.slice(1).forEach(([entry, at]) => later.add(entry, at));
    later.opened('s2', T0 + 1);
    expect(kinds(later.decide(T0 + 1)).filter((k) => k === 'dispatch:s2')).toHaveLength(1); // c2 only: unconfirmed was void there
  });

  it('needs the log from the oldest open command or stream presence', () => {
    const log = new Log().opened('s1'); // offset 0
    log.add({ requested: request('c1') }); // offset 1
    log.add({ streamClosed: { streamId: 's1', gatewayId: 'gw-s1' } }); // 2
    expect(log.ledger.neededOffset(T0)).toBe(1n);
    log.add({ concluded: { commandId: 'c1', status: CommandStatus.COMMAND_STATUS_EXPIRED } }); // 3
    expect(log.ledger.neededOffset(T0)).toBe(4n);
  });
});
