import { DynamicModule, Module } from '@nestjs/common';
import { topicsFor } from '@app/contracts';
import { AppLogger, Health, Metrics, OpsModule } from '@app/observability';
import { AgentKeyHasher, FailureThrottle, SecretHasher } from '@app/security';
import { AuthGate, DEFAULT_LOG_LIMIT } from './auth/auth.gate';
import { KEY_REGISTRY, KeyRegistry } from './auth/key-registry';
import { KeyTopicSync } from './auth/key-topic.sync';
import { StaticKeyRegistry } from './auth/static-key-registry';
import { TopicKeyRegistry } from './auth/topic-key-registry';
import { CommandHolder } from './commands/command-holder';
import { CommandOwner } from './commands/command-owner';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { GatewayLifecycle } from './gateway.lifecycle';
import { GatewayGrpcServer } from './grpc/gateway-grpc.server';
import { AgentMessageIngest } from './ingest/agent-message.ingest';
import { LifecyclePublisher } from './lifecycle/lifecycle.publisher';
import { GatewayKafka } from './publishing/gateway-kafka';
import { AgentUnaryHandlers } from './rpc/agent-unary.handlers';
import { StreamRegistry } from './streams/stream-registry';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: AppLogger): DynamicModule {
    const topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
    const limits = {
      maxStringBytes: config.GATEWAY_MAX_STRING_BYTES,
      maxListItems: config.GATEWAY_MAX_LIST_ITEMS,
      maxFutureSkewMs: config.GATEWAY_MAX_FUTURE_SKEW_MS,
    };
    return {
      module: GatewayModule,
      imports: [OpsModule.forApp('gateway', logger)],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        {
          provide: TopicKeyRegistry,
          useFactory: () => {
            const hasher = new AgentKeyHasher(new SecretHasher(config.AUTH_HASH_SECRET));
            const fromConfig = StaticKeyRegistry.fromConfig(
              config.AGENT_KEYS,
              config.AGENT_KEYS_FILE,
              hasher,
            );
            if (fromConfig.size === 0) {
              logger.info(
                'no AGENT_KEYS: only keys issued through the control API (keys topic) are accepted',
              );
            }
            return new TopicKeyRegistry(hasher, fromConfig);
          },
        },
        { provide: KEY_REGISTRY, useExisting: TopicKeyRegistry },
        {
          provide: KeyTopicSync,
          useFactory: (
            kafka: GatewayKafka,
            keys: TopicKeyRegistry,
            streams: StreamRegistry,
            health: Health,
            metrics: Metrics,
          ) => new KeyTopicSync(config, kafka, keys, streams, logger, health, metrics),
          inject: [GatewayKafka, TopicKeyRegistry, StreamRegistry, Health, Metrics],
        },
        {
          provide: AuthGate,
          useFactory: (keys: KeyRegistry, metrics: Metrics) =>
            new AuthGate(
              keys,
              new FailureThrottle({
                burst: config.GATEWAY_AUTH_FAILURE_BURST,
                refillPerSecond: config.GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND,
                maxTracked: config.GATEWAY_AUTH_THROTTLE_MAX_PEERS,
              }),
              logger,
              metrics,
              {
                throttledDelayMs: config.GATEWAY_AUTH_THROTTLE_DELAY_MS,
                maxDelayedAnswers: config.GATEWAY_AUTH_THROTTLE_MAX_DELAYED,
                ...DEFAULT_LOG_LIMIT,
              },
            ),
          inject: [KEY_REGISTRY, Metrics],
        },
        { provide: StreamRegistry, useValue: new StreamRegistry() },
        {
          provide: GatewayKafka,
          useFactory: (metrics: Metrics, health: Health) => new GatewayKafka(config, logger, metrics, health),
          inject: [Metrics, Health],
        },
        {
          provide: LifecyclePublisher,
          useFactory: (kafka: GatewayKafka) =>
            new LifecyclePublisher(kafka.publisher, topics, config.GATEWAY_ID),
          inject: [GatewayKafka],
        },
        {
          provide: CommandHolder,
          useFactory: (kafka: GatewayKafka, registry: StreamRegistry, metrics: Metrics) =>
            new CommandHolder(
              kafka.kafka,
              {
                topics: { commands: topics.commands, commandStatus: topics['command-status'] },
                gatewayId: config.GATEWAY_ID,
                presenceRefreshMs: config.GATEWAY_PRESENCE_REFRESH_MS,
                drainTimeoutMs: config.GATEWAY_SHUTDOWN_GRACE_MS,
              },
              registry,
              logger.child({ component: 'command-holder' }),
              metrics,
            ),
          inject: [GatewayKafka, StreamRegistry, Metrics],
        },
        {
          provide: CommandOwner,
          useFactory: (kafka: GatewayKafka, metrics: Metrics) =>
            new CommandOwner(
              kafka.kafka,
              {
                topics: { commands: topics.commands, commandStatus: topics['command-status'] },
                groupId: `${config.KAFKA_TOPIC_PREFIX}gateway-command-owners`,
                transactionalIdPrefix: config.KAFKA_TOPIC_PREFIX,
                ownerId: config.GATEWAY_ID,
                timings: {
                  outcomeTimeoutMs: config.COMMAND_OUTCOME_TIMEOUT_MS,
                  presenceStaleMs: config.GATEWAY_PRESENCE_REFRESH_MS * 2,
                  dispatchConfirmMs: config.COMMAND_DISPATCH_CONFIRM_MS,
                  startSettleMs: config.COMMAND_START_SETTLE_MS,
                },
                tickMs: 250,
              },
              logger.child({ component: 'command-owner' }),
              metrics,
            ),
          inject: [GatewayKafka, Metrics],
        },
        {
          provide: GatewayGrpcServer,
          useFactory: (
            auth: AuthGate,
            kafka: GatewayKafka,
            lifecycle: LifecyclePublisher,
            registry: StreamRegistry,
            metrics: Metrics,
            commands: CommandHolder,
          ) =>
            new GatewayGrpcServer(
              {
                host: config.GATEWAY_GRPC_HOST,
                port: config.GATEWAY_GRPC_PORT,
                maxMessageBytes: config.GATEWAY_MAX_MESSAGE_BYTES,
                tlsCert: config.GATEWAY_TLS_CERT,
                tlsKey: config.GATEWAY_TLS_KEY,
                shutdownGraceMs: config.GATEWAY_SHUTDOWN_GRACE_MS,
              },
              auth,
              new AgentUnaryHandlers(auth, lifecycle, limits, logger),
              {
                ingest: new AgentMessageIngest(
                  kafka.publisher,
                  { ...limits, topics, gatewayId: config.GATEWAY_ID },
                  metrics,
                ),
                lifecycle,
                registry,
                producer: kafka.publisher,
                logger,
                gatewayId: config.GATEWAY_ID,
                maxInFlight: config.GATEWAY_STREAM_MAX_IN_FLIGHT,
                ackIntervalMs: config.GATEWAY_ACK_INTERVAL_MS,
                activityIntervalMs: config.GATEWAY_ACTIVITY_INTERVAL_MS,
                commands,
              },
              logger,
              metrics,
            ),
          inject: [AuthGate, GatewayKafka, LifecyclePublisher, StreamRegistry, Metrics, CommandHolder],
        },
        GatewayLifecycle,
      ],
      exports: [GatewayGrpcServer, StreamRegistry, GatewayKafka],
    };
  }
}
