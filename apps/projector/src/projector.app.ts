import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { createLogger, httpPortOf, startApp } from '@app/observability';
import { ProjectorConfig, projectorSchema } from './projector.config';
import { ProjectorModule } from './projector.module';

export interface RunningProjector {
  app: INestApplication;
  config: ProjectorConfig;
  httpPort: number;
  close(): Promise<void>;
}

export async function startProjector(
  environment: NodeJS.ProcessEnv = process.env,
): Promise<RunningProjector> {
  const config = loadConfig(projectorSchema, environment);
  const logger = createLogger('projector', config.LOG_LEVEL, config.LOG_FORMAT);
  const app = await startApp(ProjectorModule.forRoot(config, logger), logger, {
    port: config.PROJECTOR_HTTP_PORT,
    host: config.PROJECTOR_HTTP_HOST,
  });
  return { app, config, httpPort: httpPortOf(app), close: () => app.close() };
}
