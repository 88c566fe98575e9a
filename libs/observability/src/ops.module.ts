import { DynamicModule, Global, Module } from '@nestjs/common';
import { Health } from './health';
import { Metrics } from './metrics';
import { AppLogger, createLogger } from './logger';
import { OpsController } from './ops.controller';

export const LOGGER = Symbol('LOGGER');

/** Shared logger, metrics and health for one app, plus the HTTP endpoints that expose them. */
@Global()
@Module({})
export class OpsModule {
  static forApp(app: string, logger: AppLogger = createLogger(app, 'info')): DynamicModule {
    return {
      module: OpsModule,
      controllers: [OpsController],
      providers: [
        { provide: Metrics, useValue: new Metrics(app) },
        { provide: Health, useValue: new Health() },
        { provide: LOGGER, useValue: logger },
      ],
      exports: [Metrics, Health, LOGGER],
    };
  }
}
