import { Outbox } from './outbox';

describe('Outbox', () => {
  it('drops acknowledged messages and resends the rest on a new stream', () => {
    const box = new Outbox<number>(100);
    [1, 2, 3, 4].forEach((n) => box.add(n));
    expect(box.acknowledge(2)).toBe(2);
    expect(box.acknowledge(2)).toBe(0);
    expect(box.restart()).toEqual([3, 4]);
    box.add(3);
    expect(box.acknowledge(1)).toBe(1);
    expect(box.size).toBe(0);
  });

  it('stays within its capacity, counting what it dropped', () => {
    const box = new Outbox<number>(2);
    [1, 2, 3].forEach((n) => box.add(n));
    expect(box.dropped).toBe(1);
    expect(box.restart()).toEqual([2, 3]);
  });
});
