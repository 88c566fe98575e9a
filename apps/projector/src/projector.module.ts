import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { AppLogger, Health, Metrics, OpsModule } from '@app/observability';
import type { ProjectorConfig } from './projector.config';
import { ProjectorRuntime, ProjectorStopReport } from './projector.runtime';
import { SqlController } from './sql/sql.controller';
import { sqlEndpointFromConfig } from './sql/sql-endpoint';
import { SQL_SETTINGS } from './sql/sql.settings';
import { ClickHouseWorkerClient } from './worker/clickhouse-worker.client';

/**
 * Runs the projector with the app: started at bootstrap, stopped before the HTTP server closes.
 * A stop that left records unstored fails the shutdown once everything is closed, so that the
 * process exits 1 (Nest's signal handler) and `app.close()` rejects: "stored and committed" is
 * never the exit of a projector that did not store.
 */
@Injectable()
class ProjectorLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private stopped: ProjectorStopReport | undefined;

  constructor(@Inject(ProjectorRuntime) private readonly runtime: ProjectorRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = await this.runtime.stop();
  }

  onApplicationShutdown(): void {
    if (this.stopped && !this.stopped.clean) throw new Error(`projector stopped: ${this.stopped.summary}`);
  }
}

@Module({})
export class ProjectorModule {
  /** `onFatal`: a part could not be kept running; the process must exit non-zero. */
  static forRoot(config: ProjectorConfig, logger: AppLogger, onFatal: (error: Error) => void): DynamicModule {
    const sql = sqlEndpointFromConfig(config, logger);
    return {
      module: ProjectorModule,
      imports: [OpsModule.forApp('projector', logger)],
      controllers: sql ? [SqlController] : [],
      providers: [
        {
          provide: ClickHouseWorkerClient,
          useFactory: () =>
            new ClickHouseWorkerClient({
              restart: {
                minDelayMs: config.PROJECTOR_WORKER_RESTART_MIN_MS,
                maxDelayMs: config.PROJECTOR_WORKER_RESTART_MAX_MS,
                maxRestarts: config.PROJECTOR_WORKER_MAX_RESTARTS,
                windowMs: config.PROJECTOR_WORKER_RESTART_WINDOW_MS,
              },
              logger,
            }),
        },
        { provide: SQL_SETTINGS, useValue: sql?.settings },
        {
          provide: ProjectorRuntime,
          useFactory: (worker: ClickHouseWorkerClient, metrics: Metrics, health: Health) =>
            new ProjectorRuntime(config, worker, logger, metrics, health, sql?.reader, onFatal),
          inject: [ClickHouseWorkerClient, Metrics, Health],
        },
        ProjectorLifecycle,
      ],
      exports: [ProjectorRuntime, ClickHouseWorkerClient],
    };
  }
}
