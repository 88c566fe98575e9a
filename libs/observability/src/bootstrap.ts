import type { Server } from 'node:http';
import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppLogger, NestPinoLogger } from './logger';

/**
 * Creates a Nest app whose HTTP port serves the ops endpoints, with signal handling that runs
 * every provider's shutdown hook (drain, flush, commit) before the process exits.
 */
export async function startApp(
  module: DynamicModule,
  logger: AppLogger,
  httpPort: number,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { logger: new NestPinoLogger(logger), abortOnError: false });
  app.enableShutdownHooks();
  try {
    await app.listen(httpPort, '0.0.0.0');
  } catch (error) {
    // A start that fails half-way (a port taken, a certificate unreadable) must not leave the
    // connections and threads it already opened behind.
    await app.close().catch(() => undefined);
    throw error;
  }
  logger.info({ httpPort: httpPortOf(app) }, 'ops http listening');
  return app;
}

export function httpPortOf(app: INestApplication): number {
  const address = (app.getHttpServer() as Server).address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** Entry point of every app: a start failure (bad configuration included) is one clear line and exit 1. */
export function runMain(app: string, start: () => Promise<unknown>): void {
  start().catch((error: Error) => {
    process.stderr.write(`${app}: failed to start: ${error.message}\n`);
    process.exit(1);
  });
}
