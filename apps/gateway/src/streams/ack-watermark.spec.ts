import { AckWatermark } from './ack-watermark';

describe('AckWatermark', () => {
  it('advances only over a complete prefix', () => {
    const w = new AckWatermark();
    w.complete(2);
    w.complete(3);
    expect(w.count).toBe(0);
    w.complete(1);
    expect(w.count).toBe(3);
    w.complete(5);
    expect(w.count).toBe(3);
    w.complete(4);
    expect(w.count).toBe(5);
  });

  it('goes back to in-order completion once the gaps are filled', () => {
    const w = new AckWatermark();
    w.complete(2);
    w.complete(1);
    w.complete(3);
    w.complete(5);
    w.complete(4);
    w.complete(6);
    expect(w.count).toBe(6);
  });

  it('ignores repeats', () => {
    const w = new AckWatermark();
    w.complete(1);
    w.complete(1);
    expect(w.count).toBe(1);
  });
});
