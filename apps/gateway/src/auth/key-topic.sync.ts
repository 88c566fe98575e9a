import { status } from '@grpc/grpc-js';
import { AgentKeyEvent, topicsFor } from '@app/contracts';
import { TopicFollower } from '@app/kafka';
import type { AppLogger, Health, Metrics } from '@app/observability';
import type { GatewayConfig } from '../gateway.config';
import type { GatewayKafka } from '../publishing/gateway-kafka';
import type { StreamRegistry } from '../streams/stream-registry';
import { AUTH_FAILED_DETAILS } from './auth.gate';
import type { TopicKeyRegistry } from './topic-key-registry';

/**
 * Feeds the keys topic into the TopicKeyRegistry, from its start at boot and then as it grows
 * (fetches wait at most 100 ms, which bounds how late a revocation is seen), and ends the open
 * streams of every key that stops being accepted with UNAUTHENTICATED. Not ready until the topic
 * has been read to where it ended at boot.
 */
export class KeyTopicSync {
  private readonly follower: TopicFollower;

  constructor(
    config: GatewayConfig,
    kafka: GatewayKafka,
    private readonly registry: TopicKeyRegistry,
    private readonly streams: StreamRegistry,
    private readonly logger: AppLogger,
    health: Health,
    metrics: Metrics,
  ) {
    this.follower = new TopicFollower(
      kafka.kafka,
      {
        topics: [topicsFor(config.KAFKA_TOPIC_PREFIX).keys],
        groupPrefix: `gateway-keys-${config.GATEWAY_ID}`,
      },
      (r) => r.message.value && registry.apply(AgentKeyEvent.decode(r.message.value)),
      logger,
    );
    const ended = metrics.counter({
      name: 'gateway_streams_ended_by_key_total',
      help: 'streams ended UNAUTHENTICATED because their key was revoked or its rotation grace ended',
    });
    registry.whenInvalid((keyId) => {
      for (const stream of this.streams.streamsOfKey(keyId)) {
        stream.end(status.UNAUTHENTICATED, AUTH_FAILED_DETAILS);
        ended.inc();
        this.logger.info({ keyId, streamId: stream.streamId }, 'stream ended: key no longer accepted');
      }
    });
    health.register('key-registry', () =>
      this.follower.caughtUp
        ? { ready: true }
        : { ready: false, detail: 'keys topic not read to its end yet' },
    );
  }

  /** Resolves once every key issued before the start is known: only then may calls be taken. */
  async start(): Promise<void> {
    await this.follower.start();
    await this.follower.whenCaughtUp();
    this.logger.info({ keys: this.registry.size }, 'key registry caught up with the keys topic');
  }

  async stop(): Promise<void> {
    this.registry.close();
    await this.follower.stop();
  }
}
