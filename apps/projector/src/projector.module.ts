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
import { sqlEndpointFromConfig } from './sql/sql-endpoint';
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
    const sql = sqlEndpointFromConfig(config, logger);
    return {
      module: ProjectorModule,
      imports: [OpsModule.forApp('projector', logger)],
      controllers: sql ? [SqlController] : [],
      providers: [
        { provide: ClickHouseWorkerClient, useFactory: () => new ClickHouseWorkerClient() },
        { provide: SQL_SETTINGS, useValue: sql?.settings },
        {
          provide: ProjectorRuntime,
          useFactory: (worker: ClickHouseWorkerClient, metrics: Metrics, health: Health) =>
            new ProjectorRuntime(config, worker, logger, metrics, health, sql?.reader),
          inject: [ClickHouseWorkerClient, Metrics, Health],
        },
        ProjectorLifecycle,
      ],
      exports: [ProjectorRuntime, ClickHouseWorkerClient],
    };
  }
}
