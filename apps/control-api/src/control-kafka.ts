import type { Kafka, Producer } from 'kafkajs';
import { AgentKeyEvent, topicsFor, topicSpecs } from '@app/contracts';
import { createKafkaClient, ensureTopics, KeyPartitioner, TopicFollower } from '@app/kafka';
import type { AppLogger, Health } from '@app/observability';
import type { ControlApiConfig } from './control-api.config';
import type { OutgoingRecord } from '@app/contracts';
import type { CommandWriter } from './commands/commands.service';
import { CommandsView } from './commands/commands.view';
import { FleetView } from './fleet/fleet.view';
import { keyEventHeaders } from './keys/agent-keys.service';
import { KeyStore } from './keys/key-store';

/**
 * The control API's topics: it writes key records and command records (acks=all) and follows the
 * keys, lifecycle, list and command-status topics into its read models. Ready once the followers
 * have read what existed at start.
 */
export class ControlKafka implements CommandWriter {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly keysFollower: TopicFollower;
  private readonly fleetFollower: TopicFollower;
  private readonly commandsFollower: TopicFollower;
  private readonly topics;

  constructor(
    private readonly config: ControlApiConfig,
    keys: KeyStore,
    fleet: FleetView,
    commands: CommandsView,
    private readonly logger: AppLogger,
    health: Health,
  ) {
    this.topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
    this.kafka = createKafkaClient({
      brokers: config.KAFKA_BROKERS,
      clientId: config.CONTROL_API_ID,
      logger,
    });
    // The apps' one partitioner (Java's murmur2 for keyed records): a key id's records share a partition.
    this.producer = this.kafka.producer({
      createPartitioner: KeyPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 8, maxRetryTime: 1000 },
    });
    this.keysFollower = new TopicFollower(
      this.kafka,
      { topics: [this.topics.keys], groupPrefix: `${config.CONTROL_API_ID}-keys` },
      (r) => r.message.value && keys.apply(AgentKeyEvent.decode(r.message.value)),
      logger,
    );
    this.fleetFollower = new TopicFollower(
      this.kafka,
      {
        topics: [this.topics.lifecycle, this.topics.list],
        groupPrefix: `${config.CONTROL_API_ID}-fleet`,
        maxWaitTimeMs: 500,
      },
      (r) => fleet.apply(r),
      logger,
    );
    this.commandsFollower = new TopicFollower(
      this.kafka,
      {
        topics: [this.topics['command-status']],
        groupPrefix: `${config.CONTROL_API_ID}-commands`,
        maxWaitTimeMs: 200,
      },
      (r) => commands.applyRecord(r),
      logger,
    );
    health.register('read-models', () => {
      if (!this.keysFollower.caughtUp) return { ready: false, detail: 'keys topic not read to its end yet' };
      if (!this.fleetFollower.caughtUp) return { ready: false, detail: 'lifecycle/list topics not read yet' };
      if (!this.commandsFollower.caughtUp)
        return { ready: false, detail: 'command-status topic not read to its end yet' };
      return { ready: true };
    });
  }

  async connect(): Promise<void> {
    await ensureTopics(
      this.kafka,
      topicSpecs(
        this.config.KAFKA_TOPIC_PREFIX,
        this.config.KAFKA_TOPIC_PARTITIONS,
        this.config.KAFKA_REPLICATION_FACTOR,
      ),
    );
    await this.producer.connect();
    await this.keysFollower.start();
    await this.fleetFollower.start();
    await this.commandsFollower.start();
    this.logger.info({ brokers: this.config.KAFKA_BROKERS }, 'connected to Kafka');
  }

  async writeKeyEvents(events: AgentKeyEvent[]): Promise<void> {
    await this.producer.send({
      topic: this.topics.keys,
      acks: -1,
      messages: events.map((e) => ({
        key: e.keyId,
        value: Buffer.from(AgentKeyEvent.encode(e).finish()),
        headers: keyEventHeaders(e, this.config.CONTROL_API_ID),
      })),
    });
  }

  /** A CommandStatusChanged record, to `<prefix>command-status` (keyed by command id). */
  async writeStatus(record: OutgoingRecord): Promise<void> {
    await this.producer.send({ topic: this.topics['command-status'], acks: -1, messages: [record] });
  }

  /** A CommandLogRecord, to the agent's command log `<prefix>commands` (keyed by agent id). */
  async writeLog(record: OutgoingRecord): Promise<void> {
    await this.producer.send({ topic: this.topics.commands, acks: -1, messages: [record] });
  }

  readModelsReady(): boolean {
    return this.fleetFollower.caughtUp && this.commandsFollower.caughtUp;
  }

  async close(): Promise<void> {
    await this.keysFollower.stop();
    await this.fleetFollower.stop();
    await this.commandsFollower.stop();
    await this.producer.disconnect();
  }
}
