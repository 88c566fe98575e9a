import { CommitLedger } from './commit-ledger';

describe('CommitLedger', () => {
  it('confirms a commit only once kafkajs reported it, up to the offset asked for', () => {
    const ledger = new CommitLedger('p.stats');
    const wanted = [
      { partition: 0, offset: '120' },
      { partition: 2, offset: '7' },
    ];
    expect(ledger.unconfirmed(wanted)).toEqual([0, 2]);
    ledger.note([{ topic: 'p.stats', partitions: [{ partition: 0, offset: '120' }] }]);
    expect(ledger.unconfirmed(wanted)).toEqual([2]);
    // kafkajs reports the offsets it was given, as Longs: anything whose String() is the number.
    ledger.note([{ topic: 'p.stats', partitions: [{ partition: 2, offset: { toString: () => '7' } }] }]);
    expect(ledger.unconfirmed(wanted)).toEqual([]);
  });

  it("ignores other topics' commits and never goes back", () => {
    const ledger = new CommitLedger('p.stats');
    ledger.note([{ topic: 'p.events', partitions: [{ partition: 0, offset: '50' }] }]);
    expect(ledger.unconfirmed([{ partition: 0, offset: '50' }])).toEqual([0]);
    ledger.note([{ topic: 'p.stats', partitions: [{ partition: 0, offset: '50' }] }]);
    ledger.note([{ topic: 'p.stats', partitions: [{ partition: 0, offset: '10' }] }]);
    expect(ledger.unconfirmed([{ partition: 0, offset: '50' }])).toEqual([]);
  });
});
