import { agentpb } from '@app/contracts';
import { DeliveryLedger, Expected } from './delivery-ledger';

const { START_CONTAINER, STOP_CONTAINER } = agentpb.CommandType;

function command(seq: number, type = START_CONTAINER, target = 'web'): Expected {
  return { seq, command: type, targetContainer: target, host: 'h', sentAt: seq * 10 };
}

const message = (c: Expected) => ({ command: c.command, targetContainer: c.targetContainer, host: c.host });

describe('DeliveryLedger', () => {
  it("matches an agent's k-th received command to its k-th accepted", () => {
    const ledger = new DeliveryLedger();
    const [a, b] = [command(1), command(2, STOP_CONTAINER)];
    ledger.sent('ag', a);
    ledger.accepted(a, 15, 'c1');
    ledger.sent('ag', b);
    ledger.accepted(b, 25, 'c2');
    ledger.receive('ag', message(a), 30);
    ledger.receive('ag', message(b), 40);
    expect([a.receivedAt, b.receivedAt]).toEqual([30, 40]);
    expect(ledger.missing()).toBe(0);
    expect([ledger.received, ledger.duplicates, ledger.mismatches]).toEqual([2, 0, 0]);
  });

  it('counts a repeat of the previous command, and one beyond those sent, as duplicates', () => {
    const ledger = new DeliveryLedger();
    const [a, b] = [command(1), command(2, STOP_CONTAINER)];
    ledger.sent('ag', a);
    ledger.accepted(a, 15, 'c1');
    ledger.sent('ag', b);
    ledger.accepted(b, 25, 'c2');
    ledger.receive('ag', message(a), 30);
    ledger.receive('ag', message(a), 31);
    ledger.receive('ag', message(b), 40);
    ledger.receive('ag', message(b), 41);
    expect([ledger.received, ledger.duplicates, ledger.mismatches, ledger.missing()]).toEqual([4, 2, 0, 0]);
  });

  it('counts a command that is not the expected one as a mismatch, and the expected one as missing', () => {
    const ledger = new DeliveryLedger();
    const a = command(1);
    ledger.sent('ag', a);
    ledger.accepted(a, 15, 'c1');
    ledger.receive('ag', { ...message(a), targetContainer: 'db' }, 30);
    expect([ledger.mismatches, ledger.missing()]).toEqual([1, 1]);
  });

  it('takes a refused request out unless it was received; a command may arrive before its 202', () => {
    const ledger = new DeliveryLedger();
    const [a, b, c] = [command(1), command(2, STOP_CONTAINER), command(3)];
    ledger.sent('ag', a);
    expect(ledger.busy('ag')).toBe(true);
    ledger.refused('ag', a);
    expect(ledger.busy('ag')).toBe(false);
    ledger.sent('ag', b);
    ledger.receive('ag', message(b), 20);
    ledger.accepted(b, 25, 'c2');
    expect(ledger.beforeAccept).toBe(1);
    ledger.sent('ag', c);
    ledger.receive('ag', message(c), 40);
    ledger.refused('ag', c);
    expect(ledger.deliveredButRefused).toBe(1);
    expect(ledger.acceptedCommands()).toEqual([b]);
    expect([ledger.duplicates, ledger.mismatches, ledger.missing()]).toEqual([0, 0, 0]);
  });
});
