import { BufferSlab } from './buffer-slab';

describe('BufferSlab', () => {
  it('carves disjoint buffers of the asked sizes from one slab, then starts a new one', () => {
    const slab = new BufferSlab(64, 32);
    const a = slab.take(10).fill(1);
    const b = slab.take(20).fill(2);
    expect([a.length, b.length]).toEqual([10, 20]);
    expect(a.buffer).toBe(b.buffer);
    expect(a.every((x) => x === 1)).toBe(true); // b did not overwrite a
    const c = slab.take(30); // 16 + 24 used: 30 more do not fit
    expect(c.buffer).not.toBe(a.buffer);
    expect(slab.take(33).buffer).not.toBe(c.buffer); // larger than `largest`: its own buffer
  });
});
