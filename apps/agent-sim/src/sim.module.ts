import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { AppLogger, Health, LOGGER, Metrics, OpsModule } from '@app/observability';
import { Fleet } from './fleet';
import type { SimConfig } from './sim.config';

const SHUTDOWN_DRAIN_MS = Symbol('SHUTDOWN_DRAIN_MS');

@Injectable()
class FleetLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(Fleet) private readonly fleet: Fleet,
    @Inject(LOGGER) private readonly logger: AppLogger,
    @Inject(SHUTDOWN_DRAIN_MS) private readonly drainMs: number,
  ) {}

  onApplicationBootstrap(): void {
    // Agents register in the background so the ops endpoints answer while the fleet ramps up.
    // Registration failures are retried inside; what escapes is a bug, and readiness stays false.
    this.fleet
      .start()
      .catch((error: Error) => this.logger.error({ err: error }, 'simulated fleet stopped starting'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.fleet.stop(this.drainMs);
  }
}

@Module({})
export class SimModule {
  static forRoot(config: SimConfig, logger: AppLogger): DynamicModule {
    return {
      module: SimModule,
      imports: [OpsModule.forApp('agent-sim', logger)],
      providers: [
        {
          provide: Fleet,
          useFactory: (metrics: Metrics, health: Health) => {
            const fleet = new Fleet(config, logger, metrics);
            health.register('fleet', () => ({
              ready: fleet.size > 0,
              detail: `${fleet.size} agents started`,
            }));
            return fleet;
          },
          inject: [Metrics, Health],
        },
        { provide: SHUTDOWN_DRAIN_MS, useValue: config.SIM_SHUTDOWN_DRAIN_MS },
        FleetLifecycle,
      ],
    };
  }
}
