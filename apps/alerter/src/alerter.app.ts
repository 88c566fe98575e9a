import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { createLogger, httpPortOf, startApp } from '@app/observability';
import { AlerterConfig, alerterSchema } from './alerter.config';
import { AlerterModule } from './alerter.module';
import { AlerterRuntime } from './alerter.runtime';

export interface RunningAlerter {
  app: INestApplication;
  config: AlerterConfig;
  runtime: AlerterRuntime;
  httpPort: number;
  close(): Promise<void>;
}

/** Starts the alerter from an environment; used by main.ts, the all-in-one runner and the tests. */
export async function startAlerter(environment: NodeJS.ProcessEnv = process.env): Promise<RunningAlerter> {
  const config = loadConfig(alerterSchema, environment);
  const logger = createLogger('alerter', config.LOG_LEVEL, config.LOG_FORMAT);
  const app = await startApp(AlerterModule.forRoot(config, logger), logger, {
    port: config.ALERTER_HTTP_PORT,
    host: config.ALERTER_HTTP_HOST,
  });
  return {
    app,
    config,
    runtime: app.get(AlerterRuntime),
    httpPort: httpPortOf(app),
    close: () => app.close(),
  };
}
