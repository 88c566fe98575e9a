import type { Kafka, Producer } from 'kafkajs';
import { topicsFor } from '@app/contracts';
import { createKafkaClient, FollowedRecord, KeyPartitioner, TopicFollower } from '@app/kafka';
import type { AppLogger, Health } from '@app/observability';
import type { ControlApiConfig } from '../control-api.config';
import type { AlertingRecord, AlertingWriter } from './alerting-records';
import type { AlertsView } from './alerts/alerts.view';
import type { RulesView } from './rules/rules.view';
import type { SilencesView } from './silences/silences.view';

/**
 * The alerting topics of the control API: it writes rules and silences (acks=all) and follows
 * alert-rules, silences and alerts from their start into its read models. Topics are created by
 * ControlKafka's connect, which runs first. Ready once the followers read what existed at start.
 */
export class AlertingKafka implements AlertingWriter {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly followers: { rules: TopicFollower; silences: TopicFollower; alerts: TopicFollower };
  private readonly topics;

  constructor(
    config: ControlApiConfig,
    views: { rules: RulesView; silences: SilencesView; alerts: AlertsView },
    logger: AppLogger,
    health: Health,
  ) {
    this.topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
    this.kafka = createKafkaClient({
      brokers: config.KAFKA_BROKERS,
      clientId: `${config.CONTROL_API_ID}-alerting`,
      logger,
    });
    this.producer = this.kafka.producer({
      createPartitioner: KeyPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 8, maxRetryTime: 1000 },
    });
    const follower = (topic: string, group: string, apply: (record: FollowedRecord) => void) =>
      new TopicFollower(
        this.kafka,
        { topics: [topic], groupPrefix: `${config.CONTROL_API_ID}-${group}`, maxWaitTimeMs: 200 },
        apply,
        logger,
      );
    this.followers = {
      rules: follower(this.topics['alert-rules'], 'alert-rules', (r) => views.rules.applyRecord(r)),
      silences: follower(this.topics.silences, 'silences', (r) => views.silences.applyRecord(r)),
      alerts: follower(this.topics.alerts, 'alerts', (r) => views.alerts.applyRecord(r)),
    };
    health.register('alerting-read-models', () => {
      for (const [name, f] of Object.entries(this.followers))
        if (!f.caughtUp) return { ready: false, detail: `${name} topic not read to its end yet` };
      return { ready: true };
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    await this.followers.rules.start();
    await this.followers.silences.start();
    await this.followers.alerts.start();
  }

  async writeRule(record: AlertingRecord): Promise<void> {
    await this.producer.send({ topic: this.topics['alert-rules'], acks: -1, messages: [record] });
  }

  async writeSilence(record: AlertingRecord): Promise<void> {
    await this.producer.send({ topic: this.topics.silences, acks: -1, messages: [record] });
  }

  alertingReady(): boolean {
    return this.followers.rules.caughtUp && this.followers.silences.caughtUp;
  }

  async close(): Promise<void> {
    await this.followers.rules.stop();
    await this.followers.silences.stop();
    await this.followers.alerts.stop();
    await this.producer.disconnect();
  }
}
