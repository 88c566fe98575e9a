import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@app/config';
import { createLogger, httpPortOf, startApp } from '@app/observability';
import { ControlApiConfig, controlApiSchema } from './control-api.config';
import { ControlApiModule } from './control-api.module';

export interface RunningControlApi {
  app: INestApplication;
  config: ControlApiConfig;
  httpPort: number;
  close(): Promise<void>;
}

/** Starts the control API from an environment; used by main.ts, the all-in-one runner and the e2e tests. */
export async function startControlApi(
  environment: NodeJS.ProcessEnv = process.env,
): Promise<RunningControlApi> {
  const config = loadConfig(controlApiSchema, environment);
  const logger = createLogger('control-api', config.LOG_LEVEL, config.LOG_FORMAT);
  const app = await startApp(
    ControlApiModule.forRoot(config, logger),
    logger,
    { port: config.CONTROL_API_PORT, host: config.CONTROL_API_HOST },
    (nest) => {
      const express = nest as NestExpressApplication;
      express.useBodyParser('json', { limit: config.CONTROL_API_MAX_BODY_BYTES });
    },
  );
  return { app, config, httpPort: httpPortOf(app), close: () => app.close() };
}
