import { LoggerService } from '@nestjs/common';
import pino, { Logger, LoggerOptions } from 'pino';
import pretty, { PrettyOptions } from 'pino-pretty';

export type AppLogger = Logger;

/** `auto`: readable lines for a person at a terminal, JSON for everything else (files, pipes, collectors). */
export type LogFormat = 'auto' | 'json' | 'pretty';

export function resolveLogFormat(format: LogFormat, stdoutIsTTY: boolean): 'json' | 'pretty' {
  if (format === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  return format;
}

/** One line per event; `app` and `component` lead the message instead of trailing as fields. */
export const PRETTY_OPTIONS: PrettyOptions = {
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,app,component',
  messageFormat: '{app}{if component} {component}{end}: {msg}',
  singleLine: true,
  // kafkajs puts a plain message string under `error`: keep it on the line.
  errorLikeObjectKeys: ['err'],
  // Synchronous like pino's own JSON destination, so that the last lines before process.exit() show.
  sync: true,
};

/** Logs on stdout, one line per event, with the app name on every line: JSON, or pretty at a terminal. */
export function createLogger(app: string, level: string, format: LogFormat = 'auto'): AppLogger {
  const options: LoggerOptions = {
    level,
    base: { app, pid: process.pid },
    redact: {
      paths: ['*.agentKey', '*.agent_key', '*.authorization', 'authorization'],
      censor: '<redacted>',
    },
  };
  if (resolveLogFormat(format, process.stdout.isTTY === true) === 'pretty') {
    return pino(options, pretty(PRETTY_OPTIONS));
  }
  return pino({
    ...options,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Nest's line-per-module and line-per-route start-up report: worth seeing only when debugging. */
const NEST_BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Routes Nest's own framework logs into the same stream. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: AppLogger) {}
  log(message: unknown, context?: string): void {
    if (context !== undefined && NEST_BOOT_CONTEXTS.has(context))
      this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
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
