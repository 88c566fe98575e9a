import { createLogger, Metrics } from '@app/observability';
import { ConsumerLagMonitor, consumerLag } from './consumer-lag';

describe('consumerLag', () => {
  it('is the high watermark minus the committed offset, per partition', () => {
    expect(
      consumerLag(
        [
          { partition: 0, high: '80500', low: '0' },
          { partition: 1, high: '1200', low: '0' },
        ],
        [
          { partition: 0, offset: '500' },
          { partition: 1, offset: '1200' },
        ],
      ),
    ).toEqual([
      { partition: 0, lag: 80_000 },
      { partition: 1, lag: 0 },
    ]);
  });

  it('counts everything retained on a partition the group never committed', () => {
    expect(
      consumerLag([{ partition: 2, high: '900', low: '100' }], [{ partition: 2, offset: '-1' }]),
    ).toEqual([{ partition: 2, lag: 800 }]);
    expect(consumerLag([{ partition: 2, high: '900', low: '100' }], [])).toEqual([
      { partition: 2, lag: 800 },
    ]);
  });

  it('is never negative', () => {
    expect(consumerLag([{ partition: 0, high: '10', low: '0' }], [{ partition: 0, offset: '12' }])).toEqual([
      { partition: 0, lag: 0 },
    ]);
  });
});

describe('ConsumerLagMonitor', () => {
  it("labels the lag by projection and partition, from the broker's offsets", async () => {
    const metrics = new Metrics('spec', false);
    const admin = {
      fetchTopicOffsets: (topic: string) =>
        Promise.resolve(
          topic === 'p.stats'
            ? [
                { partition: 0, offset: '30', high: '30', low: '0' },
                { partition: 1, offset: '7', high: '7', low: '0' },
              ]
            : [{ partition: 0, offset: '5', high: '5', low: '0' }],
        ),
      fetchOffsets: ({ topics }: { groupId: string; topics?: string[] }) =>
        Promise.resolve(
          topics![0] === 'p.stats'
            ? [
                {
                  topic: 'p.stats',
                  partitions: [
                    { partition: 0, offset: '10', metadata: null },
                    { partition: 1, offset: '7', metadata: null },
                  ],
                },
              ]
            : [{ topic: 'p.events', partitions: [{ partition: 0, offset: '-1', metadata: null }] }],
        ),
    };
    const monitor = new ConsumerLagMonitor(
      admin,
      [
        { projection: 'stats', groupId: 'g.stats', topic: 'p.stats' },
        { projection: 'events', groupId: 'g.events', topic: 'p.events' },
      ],
      metrics,
      createLogger('spec', 'silent', 'json'),
      60_000,
    );
    await monitor.refresh();
    const text = await metrics.render();
    expect(text).toContain('projector_consumer_lag{projection="stats",partition="0",app="spec"} 20');
    expect(text).toContain('projector_consumer_lag{projection="stats",partition="1",app="spec"} 0');
    expect(text).toContain('projector_consumer_lag{projection="events",partition="0",app="spec"} 5');
  });

  it('keeps the last values while the broker cannot be asked', async () => {
    const metrics = new Metrics('spec', false);
    let down = false;
    const admin = {
      fetchTopicOffsets: () =>
        down
          ? Promise.reject(new Error('broker down'))
          : Promise.resolve([{ partition: 0, offset: '9', high: '9', low: '0' }]),
      fetchOffsets: () =>
        Promise.resolve([{ topic: 't', partitions: [{ partition: 0, offset: '4', metadata: null }] }]),
    };
    const monitor = new ConsumerLagMonitor(
      admin,
      [{ projection: 'stats', groupId: 'g', topic: 't' }],
      metrics,
      createLogger('spec', 'silent', 'json'),
      60_000,
    );
    await monitor.refresh();
    down = true;
    await monitor.refresh();
    expect(await metrics.render()).toContain(
      'projector_consumer_lag{projection="stats",partition="0",app="spec"} 5',
    );
  });
});
