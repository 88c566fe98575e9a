import { DrainRate } from './drain-rate';

describe('DrainRate', () => {
  it('is what was acknowledged per second over the completed buckets', () => {
    const rate = new DrainRate(250, 4, 0);
    expect(rate.bytesPerSecond()).toBe(0);
    rate.acked(1000);
    rate.tick(250);
    expect(rate.bytesPerSecond()).toBe(4000);
    rate.acked(500); // current bucket: not counted until it completes
    expect(rate.bytesPerSecond()).toBe(4000);
    rate.tick(500);
    expect(rate.bytesPerSecond()).toBe(3000);
  });

  it('forgets what is older than its window, and idle time counts as zero', () => {
    const rate = new DrainRate(100, 3, 0);
    rate.acked(900);
    rate.tick(100);
    rate.tick(300); // two quiet buckets later: the 900 bytes fell out of the window
    expect(rate.bytesPerSecond()).toBe(0);
    rate.acked(200);
    rate.tick(400);
    expect(rate.bytesPerSecond()).toBe(1000); // 200 bytes over 2 buckets of 100 ms
  });
});
