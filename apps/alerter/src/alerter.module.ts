import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { AppLogger, Health, Metrics, OpsModule } from '@app/observability';
import type { AlerterConfig } from './alerter.config';
import { AlerterRuntime } from './alerter.runtime';

@Injectable()
class AlerterLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(AlerterRuntime) private readonly runtime: AlerterRuntime) {}

  onModuleInit(): Promise<void> {
    return this.runtime.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.runtime.stop();
  }
}

@Module({})
export class AlerterModule {
  static forRoot(config: AlerterConfig, logger: AppLogger): DynamicModule {
    return {
      module: AlerterModule,
      imports: [OpsModule.forApp('alerter', logger)],
      providers: [
        {
          provide: AlerterRuntime,
          useFactory: (metrics: Metrics, health: Health) =>
            new AlerterRuntime(config, logger, metrics, health),
          inject: [Metrics, Health],
        },
        AlerterLifecycle,
      ],
      exports: [AlerterRuntime],
    };
  }
}
