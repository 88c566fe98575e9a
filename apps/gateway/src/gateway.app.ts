import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { createLogger, httpPortOf, startApp } from '@app/observability';
import { GatewayConfig, gatewaySchema } from './gateway.config';
import { GatewayModule } from './gateway.module';
import { GatewayGrpcServer } from './grpc/gateway-grpc.server';

export interface RunningGateway {
  app: INestApplication;
  config: GatewayConfig;
  grpcPort: number;
  httpPort: number;
  close(): Promise<void>;
}

/** Starts a gateway from an environment; used by main.ts, the all-in-one runner and the e2e tests. */
export async function startGateway(environment: NodeJS.ProcessEnv = process.env): Promise<RunningGateway> {
  const config = loadConfig(gatewaySchema, environment);
  const logger = createLogger('gateway', config.LOG_LEVEL, config.LOG_FORMAT);
  const app = await startApp(GatewayModule.forRoot(config, logger), logger, {
    port: config.GATEWAY_HTTP_PORT,
    host: config.GATEWAY_HTTP_HOST,
  });
  return {
    app,
    config,
    grpcPort: app.get(GatewayGrpcServer).port,
    httpPort: httpPortOf(app),
    close: () => app.close(),
  };
}
