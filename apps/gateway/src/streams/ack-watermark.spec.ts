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

  it('ignores repeats', () => {
    const w = new AckWatermark();
    w.complete(1);
    w.complete(1);
    expect(w.count).toBe(1);
  });
});
