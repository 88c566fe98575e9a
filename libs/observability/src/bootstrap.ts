import type { Server } from 'node:http';
import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppLogger, NestPinoLogger } from './logger';
import { describeStartFailure } from './describe-error';
import { installProcessHandlers } from './process-handlers';

export { describeStartFailure };

/** Signals that stop an app gracefully: from a process manager, a terminal, or a closed session. */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** Where the ops HTTP endpoints (metrics, health, SQL) listen. */
export interface HttpListen {
  port: number;
  /** Loopback by default in every app's config: these endpoints are for operators, not agents. */
  host: string;
}

/**
 * Creates a Nest app whose HTTP port serves the ops endpoints, with signal handling that runs
 * every provider's shutdown hook (drain, flush, commit) before the process exits.
 */
export async function startApp(
  module: DynamicModule,
  logger: AppLogger,
  http: HttpListen,
  /** Runs before listening, e.g. to set the body parser's limit (then Nest's default parser is off). */
  configure?: (app: INestApplication) => void,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
    ...(configure ? { bodyParser: false } : {}),
  });
  configure?.(app);
  // Exit 0 after a clean shutdown and 1 after a failed one, so that a supervisor (and the e2e
  // tests) can tell them apart; re-raising the signal would make both look alike. Only the signals
  // that ask for a stop: Nest's default list also has the fault signals (SIGSEGV, SIGBUS, SIGABRT…),
  // after which a drain cannot be trusted and must not be reported as one.
  app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
  try {
    await app.listen(http.port, http.host);
  } catch (error) {
    // A start that fails half-way (a port taken, a certificate unreadable) must not leave the
    // connections and threads it already opened behind.
    await app.close().catch(() => undefined);
    throw error;
  }
  logger.info({ httpHost: http.host, httpPort: httpPortOf(app) }, 'ops http listening');
  return app;
}

export function httpPortOf(app: INestApplication): number {
  const address = (app.getHttpServer() as Server).address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * Entry point of every app: a start failure exits 1, and so does an unhandled rejection or an
 * uncaught exception afterwards (process-handlers.ts). Bad configuration is its own clear list of
 * variables; anything else keeps its stack (and causes), which is where the fix starts.
 */
export function runMain(app: string, start: () => Promise<unknown>): void {
  installProcessHandlers(app);
  start().catch((error: unknown) => {
    process.stderr.write(`${app}: failed to start: ${describeStartFailure(error)}\n`);
    process.exit(1);
  });
}
