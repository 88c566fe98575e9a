import type { SourceRecord } from '../projections/source-record';
import { commitOffsets, PendingBatch } from './pending-batch';

const rec = (partition: number, offset: number): SourceRecord => ({
  partition,
  offset: String(offset),
  value: Buffer.alloc(10),
  headers: {},
});

describe('PendingBatch', () => {
  it('takes oldest first and restores a failed batch in front', () => {
    const batch = new PendingBatch();
    [rec(0, 1), rec(1, 7), rec(0, 2)].forEach((r) => batch.add(r));
    const taken = batch.take(2);
    expect(taken.map((r) => r.offset)).toEqual(['1', '7']);
    batch.restore(taken);
    expect(batch.take(10).map((r) => r.offset)).toEqual(['1', '7', '2']);
    expect(batch.sizeBytes).toBe(0);
  });

  it('drops everything on clear', () => {
    const batch = new PendingBatch();
    [rec(0, 1), rec(1, 7), rec(2, 3)].forEach((r) => batch.add(r));
    expect(batch.clear()).toBe(3);
    expect(batch.size).toBe(0);
    expect(batch.sizeBytes).toBe(0);
  });

  it('commits one past the highest offset per partition', () => {
    expect(commitOffsets('t', [rec(0, 5), rec(0, 3), rec(2, 9)])).toEqual([
      { topic: 't', partition: 0, offset: '6' },
      { topic: 't', partition: 2, offset: '10' },
    ]);
  });
});
