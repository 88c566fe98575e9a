import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { createLogger, exitOnFatal, httpPortOf, startApp } from '@app/observability';
import { ProjectorConfig, projectorSchema } from './projector.config';
import { ProjectorModule } from './projector.module';

export interface RunningProjector {
  app: INestApplication;
  config: ProjectorConfig;
  httpPort: number;
  close(): Promise<void>;
}

export interface ProjectorOptions {
  /**
   * A part could not be kept running (the ClickHouse worker, a consumer group). Default: close
   * the app (its shutdown says what was not stored) and exit 1 for the process manager.
   */
  onFatal?: (error: Error) => void;
}

export async function startProjector(
  environment: NodeJS.ProcessEnv = process.env,
  options: ProjectorOptions = {},
): Promise<RunningProjector> {
  const config = loadConfig(projectorSchema, environment);
  const logger = createLogger('projector', config.LOG_LEVEL, config.LOG_FORMAT);
  // A fatal error can come only after the start (the worker and consumers run by then).
  let closeApp: () => Promise<unknown> = () => Promise.resolve();
  const onFatal =
    options.onFatal ??
    ((error: Error) => {
      exitOnFatal(logger, error, () => closeApp()).catch(() => process.exit(1));
    });
  const app = await startApp(ProjectorModule.forRoot(config, logger, onFatal), logger, {
    port: config.PROJECTOR_HTTP_PORT,
    host: config.PROJECTOR_HTTP_HOST,
  });
  closeApp = () => app.close();
  return { app, config, httpPort: httpPortOf(app), close: () => app.close() };
}
