import type { AppLogger } from './logger';
import { describeStartFailure } from './describe-error';

/** The part of `process` the handlers use (a fake in tests). */
export interface ProcessLike {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
  exit(code: number): void;
}

/**
 * A promise nobody handled, or an exception nobody caught, leaves an app in a state no one
 * reasoned about: say what it was, with its stack, and exit 1 so that the process manager starts
 * a clean one (consumers re-read from committed offsets; nothing acknowledged is lost). No
 * graceful shutdown is attempted: it would claim a drain that the broken state cannot promise.
 */
export function installProcessHandlers(
  app: string,
  target: ProcessLike = process,
  write: (text: string) => void = (text) => process.stderr.write(text),
): void {
  target.on('unhandledRejection', (reason: unknown) => {
    write(`${app}: unhandled promise rejection, exiting: ${describeStartFailure(reason)}\n`);
    target.exit(1);
  });
  target.on('uncaughtException', (error: Error, origin: string) => {
    write(
      `${app}: ${origin === 'unhandledRejection' ? 'unhandled promise rejection' : 'uncaught exception'}, exiting: ${describeStartFailure(error)}\n`,
    );
    target.exit(1);
  });
}

/**
 * A part of the app that cannot be kept running (a worker that keeps dying, a consumer that
 * cannot rejoin): log why, close the app within `timeoutMs` (its shutdown says what it could not
 * store), then exit 1 whatever the close did, so that a process manager restarts it.
 */
export function exitOnFatal(
  logger: AppLogger,
  error: Error,
  close: () => Promise<unknown>,
  {
    timeoutMs = 30_000,
    exit = (code: number): void => process.exit(code),
  }: { timeoutMs?: number; exit?: (code: number) => void } = {},
): Promise<void> {
  logger.fatal({ err: error }, 'cannot continue; closing and exiting 1');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  return Promise.race([close(), deadline])
    .then(
      () => undefined,
      (closeError: Error) => logger.error({ err: closeError }, 'close after a fatal error failed'),
    )
    .finally(() => {
      clearTimeout(timer);
      exit(1);
    });
}
