import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { AppLogger, Health, Metrics, OpsModule } from '@app/observability';
import type { ProjectorConfig } from './projector.config';
import { ProjectorRuntime } from './projector.runtime';
import { SqlController } from './sql/sql.controller';
import { SQL_SETTINGS } from './sql/sql.settings';
import { ClickHouseWorkerClient } from './worker/clickhouse-worker.client';

@Injectable()
class ProjectorLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(ProjectorRuntime) private readonly runtime: ProjectorRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({})
export class ProjectorModule {
  static forRoot(config: ProjectorConfig, logger: AppLogger): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [OpsModule.forApp('projector', logger)],
      controllers: config.PROJECTOR_SQL_ENABLED === 'true' ? [SqlController] : [],
      providers: [
        { provide: ClickHouseWorkerClient, useFactory: () => new ClickHouseWorkerClient() },
        {
          provide: SQL_SETTINGS,
          useValue: {
            token: config.PROJECTOR_SQL_TOKEN,
            maxRows: config.PROJECTOR_SQL_MAX_ROWS,
            timeoutSeconds: config.PROJECTOR_SQL_TIMEOUT_SECONDS,
          },
        },
        {
          provide: ProjectorRuntime,
          useFactory: (worker: ClickHouseWorkerClient, metrics: Metrics, health: Health) =>
            new ProjectorRuntime(config, worker, logger, metrics, health),
          inject: [ClickHouseWorkerClient, Metrics, Health],
        },
        ProjectorLifecycle,
      ],
      exports: [ProjectorRuntime, ClickHouseWorkerClient],
    };
  }
}
