import { RestartPolicy } from './restart-policy';

describe('RestartPolicy', () => {
  const options = { minDelayMs: 100, maxDelayMs: 1000, maxRestarts: 5, windowMs: 60_000 };
  let now = 0;
  const policy = () => new RestartPolicy(options, () => now);
  beforeEach(() => (now = 1_000_000));

  it('doubles the delay with every crash in the window, up to the maximum', () => {
    const p = policy();
    const delays = Array.from({ length: 5 }, () => {
      const d = p.onCrash();
      now += 10;
      return d.restart ? d.delayMs : -1;
    });
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
  });

  it('gives up after more than maxRestarts crashes within the window', () => {
    const p = policy();
    for (let i = 0; i < 5; i++) expect(p.onCrash().restart).toBe(true);
    expect(p.onCrash()).toEqual({ restart: false, crashes: 6 });
  });

  it('forgets crashes older than the window: a component that stayed up starts from the shortest delay', () => {
    const p = policy();
    for (let i = 0; i < 5; i++) p.onCrash();
    now += 60_000;
    expect(p.onCrash()).toEqual({ restart: true, delayMs: 100, attempt: 1 });
  });

  it('counts only the crashes still inside the window', () => {
    const p = policy();
    p.onCrash();
    p.onCrash();
    now += 30_000;
    p.onCrash();
    now += 30_001;
    expect(p.onCrash()).toEqual({ restart: true, delayMs: 200, attempt: 2 });
  });
});
