import { createLogger } from '@app/observability';
import { CrashRecovery } from './crash-recovery';

describe('CrashRecovery', () => {
  const logger = createLogger('spec', 'silent', 'json');
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('leaves a crash kafkajs restarts itself alone', async () => {
    const consumer = { connect: jest.fn(() => Promise.resolve()), run: jest.fn(() => Promise.resolve()) };
    const recovery = new CrashRecovery(
      consumer,
      () => ({}),
      'stats',
      logger,
      () => undefined,
    );
    recovery.crashed(new Error('Connection error'), true);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumer.run).not.toHaveBeenCalled();
  });

  it('connects and runs again with back-off when a connect fails, and gives up past the policy', async () => {
    const consumer = {
      connect: jest.fn(() => Promise.reject(new Error('ECONNREFUSED'))),
      run: jest.fn(() => Promise.resolve()),
    };
    const fatal: Error[] = [];
    const recovery = new CrashRecovery(
      consumer,
      () => ({}),
      'stats',
      logger,
      (e) => fatal.push(e),
      {
        minDelayMs: 100,
        maxDelayMs: 400,
        maxRestarts: 3,
        windowMs: 60_000,
      },
    );
    recovery.crashed(new Error('not retriable'), false);
    await jest.advanceTimersByTimeAsync(99);
    expect(consumer.connect).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(consumer.connect).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(200 + 400);
    expect(consumer.connect).toHaveBeenCalledTimes(3);
    expect(fatal.map((e) => e.message)).toEqual([
      'stats consumer could not rejoin (4 failures): ECONNREFUSED',
    ]);
  });

  it('does nothing once stopped', async () => {
    const consumer = { connect: jest.fn(() => Promise.resolve()), run: jest.fn(() => Promise.resolve()) };
    const recovery = new CrashRecovery(
      consumer,
      () => ({}),
      'stats',
      logger,
      () => undefined,
    );
    recovery.crashed(new Error('not retriable'), false);
    recovery.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumer.connect).not.toHaveBeenCalled();
  });
});
