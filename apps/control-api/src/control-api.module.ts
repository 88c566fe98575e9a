import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { topicsFor } from '@app/contracts';
import { AppLogger, Health, OpsModule } from '@app/observability';
import { AgentKeyHasher, SecretHasher } from '@app/security';
import { AlertingKafka } from './alerts/alerting-kafka';
import { AlertsController } from './alerts/alerts/alerts.controller';
import { AlertsView } from './alerts/alerts/alerts.view';
import { RulesController } from './alerts/rules/rules.controller';
import { RulesService } from './alerts/rules/rules.service';
import { RulesView } from './alerts/rules/rules.view';
import { SilencesController } from './alerts/silences/silences.controller';
import { SilencesService } from './alerts/silences/silences.service';
import { SilencesView } from './alerts/silences/silences.view';
import { ApiAuth } from './auth/api-auth';
import { ApiTokens } from './auth/api-tokens';
import { CONTROL_API_CONFIG, ControlApiConfig } from './control-api.config';
import { CommandsController } from './commands/commands.controller';
import { CommandsService } from './commands/commands.service';
import { CommandsView } from './commands/commands.view';
import { ControlKafka } from './control-kafka';
import { FleetController } from './fleet/fleet.controller';
import { FleetView } from './fleet/fleet.view';
import { DocsController } from './http/docs.controller';
import { ProblemFilter } from './http/problem.filter';
import { AgentKeysController } from './keys/agent-keys.controller';
import { AgentKeysService } from './keys/agent-keys.service';
import { KeyStore } from './keys/key-store';

@Injectable()
class ControlApiLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(ControlKafka) private readonly kafka: ControlKafka,
    @Inject(AlertingKafka) private readonly alerting: AlertingKafka,
  ) {}

  /** ControlKafka first: it creates the topics the alerting followers read. */
  async onModuleInit(): Promise<void> {
    await this.kafka.connect();
    await this.alerting.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.alerting.close();
    await this.kafka.close();
  }
}

@Module({})
export class ControlApiModule {
  static forRoot(config: ControlApiConfig, logger: AppLogger): DynamicModule {
    const secret = new SecretHasher(config.AUTH_HASH_SECRET);
    return {
      module: ControlApiModule,
      imports: [OpsModule.forApp('control_api', logger)],
      controllers: [
        AgentKeysController,
        FleetController,
        CommandsController,
        RulesController,
        SilencesController,
        AlertsController,
        DocsController,
      ],
      providers: [
        { provide: CONTROL_API_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: ProblemFilter },
        {
          provide: ApiAuth,
          useValue: new ApiAuth(
            ApiTokens.fromConfig(secret, config.CONTROL_API_TOKENS, config.CONTROL_API_TOKENS_FILE),
          ),
        },
        { provide: KeyStore, useValue: new KeyStore() },
        { provide: FleetView, useValue: new FleetView(topicsFor(config.KAFKA_TOPIC_PREFIX)) },
        {
          provide: CommandsView,
          useValue: new CommandsView({ retentionMs: config.COMMAND_HISTORY_RETENTION_MS }),
        },
        {
          provide: ControlKafka,
          useFactory: (keys: KeyStore, fleet: FleetView, commands: CommandsView, health: Health) =>
            new ControlKafka(config, keys, fleet, commands, logger, health),
          inject: [KeyStore, FleetView, CommandsView, Health],
        },
        {
          provide: CommandsService,
          useFactory: (view: CommandsView, fleet: FleetView, kafka: ControlKafka) =>
            new CommandsService(
              view,
              fleet,
              kafka,
              {
                writerId: config.CONTROL_API_ID,
                defaultExpirySeconds: config.COMMAND_DEFAULT_EXPIRY_SECONDS,
              },
              logger,
            ),
          inject: [CommandsView, FleetView, ControlKafka],
        },
        {
          provide: AgentKeysService,
          useFactory: (store: KeyStore, kafka: ControlKafka) =>
            new AgentKeysService(store, new AgentKeyHasher(secret), (events) => kafka.writeKeyEvents(events)),
          inject: [KeyStore, ControlKafka],
        },
        { provide: RulesView, useValue: new RulesView() },
        { provide: SilencesView, useValue: new SilencesView(config.ALERTS_RESOLVED_RETENTION_MS) },
        { provide: AlertsView, useValue: new AlertsView(config.ALERTS_RESOLVED_RETENTION_MS) },
        {
          provide: AlertingKafka,
          useFactory: (rules: RulesView, silences: SilencesView, alerts: AlertsView, health: Health) =>
            new AlertingKafka(config, { rules, silences, alerts }, logger, health),
          inject: [RulesView, SilencesView, AlertsView, Health],
        },
        {
          provide: RulesService,
          useFactory: (view: RulesView, kafka: AlertingKafka) =>
            new RulesService(view, kafka, config.CONTROL_API_ID, logger),
          inject: [RulesView, AlertingKafka],
        },
        {
          provide: SilencesService,
          useFactory: (view: SilencesView, kafka: AlertingKafka) =>
            new SilencesService(view, kafka, config.CONTROL_API_ID, logger),
          inject: [SilencesView, AlertingKafka],
        },
        ControlApiLifecycle,
      ],
    };
  }
}
