import type { PublishFailure } from '@app/kafka';
import { PublishOutcomes, PublishReadiness } from './publish-readiness';

class Outcomes implements PublishOutcomes {
  lastAckAt = 0;
  lastFailure: PublishFailure | undefined;
  fail(at: number): void {
    this.lastFailure = { at, reason: 'kafka', message: 'Connection error' };
  }
}

describe('PublishReadiness', () => {
  let now: number;
  let outcomes: Outcomes;
  let probe: jest.Mock<Promise<void>, []>;
  let readiness: PublishReadiness;

  beforeEach(() => {
    now = 10_000;
    outcomes = new Outcomes();
    probe = jest.fn(() => Promise.resolve());
    readiness = new PublishReadiness(
      outcomes,
      probe,
      { probeIntervalMs: 1000, probeTimeoutMs: 50 },
      () => now,
    );
    readiness.setConnected(true);
  });

  it('is not ready while the producer is disconnected', () => {
    readiness.setConnected(false);
    expect(readiness.check()).toEqual({ ready: false, detail: 'Kafka producer not connected' });
  });

  it('is not ready from a failure until the next acknowledged batch', () => {
    outcomes.lastAckAt = 9_000;
    expect(readiness.check().ready).toBe(true);
    outcomes.fail(9_500);
    expect(readiness.check()).toEqual({
      ready: false,
      detail: `cannot publish to Kafka since ${new Date(9_500).toISOString()} (kafka): Connection error`,
    });
    outcomes.lastAckAt = 9_600;
    expect(readiness.check().ready).toBe(true);
  });

  it('probes while failing; a probe that succeeds makes it ready, unless a failure came meanwhile', async () => {
    outcomes.lastAckAt = 9_990;
    outcomes.fail(9_995);
    await readiness.maybeProbe();
    expect(probe).toHaveBeenCalledTimes(1);
    expect(readiness.check().ready).toBe(true);

    let answer!: () => void;
    probe.mockImplementationOnce(() => new Promise<void>((r) => (answer = r)));
    outcomes.fail(10_000);
    const probing = readiness.maybeProbe();
    now = 10_200;
    outcomes.fail(10_100);
    answer();
    await probing;
    expect(readiness.check().ready).toBe(false);
  });

  it('probes when idle, so that a dead broker shows without traffic', async () => {
    outcomes.lastAckAt = 9_500; // busy: no probe
    await readiness.maybeProbe();
    expect(probe).not.toHaveBeenCalled();
    outcomes.lastAckAt = 8_000;
    probe.mockRejectedValueOnce(new Error('Connection error: connect ECONNREFUSED'));
    await readiness.maybeProbe();
    expect(readiness.check()).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/probe: Connection error/),
    });
  });

  it('counts a probe that does not answer in time as failed', async () => {
    outcomes.fail(9_000);
    probe.mockImplementationOnce(() => new Promise<void>(() => undefined));
    await readiness.maybeProbe();
    expect(readiness.check()).toMatchObject({
      ready: false,
      detail: expect.stringMatching(/no answer within 50 ms/),
    });
  });
});
