import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { createLogger, startApp } from '@app/observability';
import { simSchema } from './sim.config';
import { SimModule } from './sim.module';

export async function startAgentSim(environment: NodeJS.ProcessEnv = process.env): Promise<INestApplication> {
  const config = loadConfig(simSchema, environment);
  const logger = createLogger('agent-sim', config.LOG_LEVEL, config.LOG_FORMAT);
  return startApp(SimModule.forRoot(config, logger), logger, {
    port: config.SIM_HTTP_PORT,
    host: config.SIM_HTTP_HOST,
  });
}
