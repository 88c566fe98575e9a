import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

export type AppLogger = Logger;

/** Structured JSON logs on stdout, one line per event, with the app name on every line. */
export function createLogger(app: string, level: string): AppLogger {
  return pino({
    level,
    base: { app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['*.agentKey', '*.agent_key', '*.authorization', 'authorization'],
      censor: '<redacted>',
    },
  });
}

/** Routes Nest's own framework logs into the same JSON stream. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: AppLogger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
