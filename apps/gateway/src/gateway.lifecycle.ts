import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Health, LOGGER } from '@app/observability';
import type { AppLogger } from '@app/observability';
import { KeyTopicSync } from './auth/key-topic.sync';
import { CommandHolder } from './commands/command-holder';
import { CommandOwner } from './commands/command-owner';
import { GatewayGrpcServer } from './grpc/gateway-grpc.server';
import { GatewayKafka } from './publishing/gateway-kafka';

/**
 * Start and stop order: Kafka, then the key registry read to the end of the keys topic, then the
 * command loop (holder following the command log, owner joining its group), before gRPC on the
 * way up; on the way down readiness first, then the gRPC streams drain into Kafka, then the
 * holder reads back its stream_closed records (returning dispatches to closed streams), the owner
 * leaves its group, then the producer flushes and disconnects.
 */
@Injectable()
export class GatewayLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    @Inject(GatewayKafka) private readonly kafka: GatewayKafka,
    @Inject(GatewayGrpcServer) private readonly grpc: GatewayGrpcServer,
    @Inject(KeyTopicSync) private readonly keys: KeyTopicSync,
    @Inject(CommandHolder) private readonly commandHolder: CommandHolder,
    @Inject(CommandOwner) private readonly commandOwner: CommandOwner,
    @Inject(Health) private readonly health: Health,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.kafka.connect();
    await this.keys.start();
    await this.commandHolder.start();
    await this.commandOwner.start();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.grpc.start();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'shutting down: draining streams');
    this.health.markShuttingDown();
    await this.grpc.shutdown();
    await this.commandHolder.drain();
    await this.commandOwner.stop();
    await this.commandHolder.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.keys.stop();
    await this.kafka.close();
    this.logger.info('Kafka producer flushed and closed');
  }
}
