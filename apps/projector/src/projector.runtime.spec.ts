import { stopReport } from './projector.runtime';

describe('stopReport', () => {
  const started = { consumers: 2, wasStarted: true };

  it('claims stored and committed only when every consumer left nothing behind', () => {
    const report = stopReport(
      [
        { projection: 'stats', notCommitted: 0 },
        { projection: 'events', notCommitted: 0 },
      ],
      [],
      started,
    );
    expect(report).toEqual({ clean: true, summary: 'every record read was stored and its offset committed' });
  });

  it('says what was not stored, and why, and is not clean', () => {
    const report = stopReport(
      [
        { projection: 'stats', notCommitted: 120, failure: 'store: ClickHouse worker is not running' },
        { projection: 'events', notCommitted: 0 },
      ],
      [],
      started,
    );
    expect(report.clean).toBe(false);
    expect(report.summary).toBe(
      '120 records read were not stored and committed [stats 120 (store: ClickHouse worker is not running)]; they will be read again on the next start',
    );
    expect(report.summary).not.toMatch(/stored and its offset committed/);
  });

  it('does not claim anything was stored after a failed start', () => {
    const report = stopReport([], [], {
      consumers: 0,
      wasStarted: false,
      startError: 'No space left on device',
    });
    expect(report).toEqual({ clean: false, summary: 'start failed (No space left on device)' });
  });

  it('reports a stop before consuming as such', () => {
    expect(stopReport([], [], { consumers: 0, wasStarted: false })).toEqual({
      clean: true,
      summary: 'it had not started consuming; nothing was read',
    });
  });

  it('is not clean after giving up on a part, even with nothing left behind', () => {
    const report = stopReport([{ projection: 'stats', notCommitted: 0 }], [], {
      ...started,
      fatal: 'ClickHouse worker cannot be kept running',
    });
    expect(report).toEqual({ clean: false, summary: 'gave up: ClickHouse worker cannot be kept running' });
  });

  it('mentions close problems without making a clean stop unclean', () => {
    const report = stopReport(
      [{ projection: 'stats', notCommitted: 0, leaveError: 'Connection closed' }],
      ['DLQ producer: timeout'],
      started,
    );
    expect(report).toEqual({
      clean: true,
      summary:
        'every record read was stored and its offset committed; stats left its group uncleanly (Connection closed); closing DLQ producer: timeout',
    });
  });
});
