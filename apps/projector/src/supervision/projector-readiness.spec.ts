import { InsertFailures, ProjectorReadiness } from './projector-readiness';

describe('ProjectorReadiness', () => {
  let now = 100_000;
  const readiness = new ProjectorReadiness(30_000, () => now);
  const running = { state: 'running' as const };
  const ok: InsertFailures[] = [
    { projection: 'stats', since: undefined },
    { projection: 'events', since: undefined },
  ];
  beforeEach(() => (now = 100_000));

  it('is ready once started, with the engine running and inserts succeeding', () => {
    expect(readiness.check({ started: true, engine: running, inserts: ok })).toEqual({ ready: true });
  });

  it('is not ready before the consumers started', () => {
    expect(readiness.check({ started: false, engine: running, inserts: ok }).ready).toBe(false);
  });

  it.each(['idle', 'starting', 'restarting', 'failed', 'closed'] as const)(
    'is not ready while the engine is %s',
    (state) => {
      const result = readiness.check({ started: true, engine: { state, detail: 'attempt 2' }, inserts: ok });
      expect(result).toEqual({ ready: false, detail: `ClickHouse engine ${state}: attempt 2` });
    },
  );

  it('tolerates failing inserts up to the configured time, then is not ready', () => {
    const inserts = [{ projection: 'stats', since: now, lastError: 'No space left on device' }, ok[1]];
    now += 30_000;
    expect(readiness.check({ started: true, engine: running, inserts }).ready).toBe(true);
    now += 1;
    expect(readiness.check({ started: true, engine: running, inserts })).toEqual({
      ready: false,
      detail: 'stats inserts failing for 30 s: No space left on device',
    });
  });

  it('is ready again as soon as an insert succeeds', () => {
    const inserts = [{ projection: 'stats', since: now - 60_000 }];
    expect(readiness.check({ started: true, engine: running, inserts }).ready).toBe(false);
    expect(
      readiness.check({
        started: true,
        engine: running,
        inserts: [{ projection: 'stats', since: undefined }],
      }).ready,
    ).toBe(true);
  });
});
