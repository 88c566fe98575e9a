import { Metrics } from './metrics';

describe('Metrics.fastCounter', () => {
  it("adds its handles' plain counts to the Prometheus counter at every scrape", async () => {
    const metrics = new Metrics('test', false);
    const counter = metrics.fastCounter({
      name: 'things_total',
      help: 'things',
      labelNames: ['kind'] as const,
    });
    const a = counter.labels({ kind: 'a' });
    counter.labels({ kind: 'b' }); // listed at 0 before any increment
    for (let i = 0; i < 3; i++) a.inc();
    const line = (text: string, kind: string) => text.split('\n').find((l) => l.includes(`kind="${kind}"`));
    let text = await metrics.render();
    expect(line(text, 'a')).toMatch(/ 3$/);
    expect(line(text, 'b')).toMatch(/ 0$/);
    a.inc();
    counter.labels({ kind: 'a' }).inc(); // another handle of the same labels
    text = await metrics.render();
    expect(line(text, 'a')).toMatch(/ 5$/);
    expect(metrics.fastCounter({ name: 'things_total', help: 'things' })).toBe(counter);
  });
});
