import { Kafka } from 'kafkajs';
import { HEADER, topicsFor, topicSpecs } from '@app/contracts';
import { createKafkaClient, ensureTopics, KeyPartitioner } from '@app/kafka';
import type { AppLogger, Health, Metrics } from '@app/observability';
import type { AlerterConfig } from './alerter.config';
import { AlertmanagerNotifier } from './notify/alertmanager.notifier';
import type { NotifiableAlert } from './notify/notifiable-alert';
import { WebhookNotifier } from './notify/webhook.notifier';
import { AlertLog } from './runtime/alert-log';
import { AlertOutput } from './runtime/alert-output';
import { AlerterConsumer } from './runtime/alerter-consumer';
import { Remediation } from './runtime/remediation';
import { RuleSet } from './runtime/rule-set';
import { SilenceStore } from './runtime/silence-store';

/**
 * The alerter's parts and their order: topics, the rules (file and topic), the silences, the
 * alerts topic read to its end (the memory of what was decided and sent), then the input
 * consumer. Shutdown: the consumer leaves its group, notifications in flight finish, then the
 * clients close.
 */
export class AlerterRuntime {
  readonly kafka: Kafka;
  readonly rules: RuleSet;
  readonly log: AlertLog;
  private readonly silences: SilenceStore;
  private readonly remediation: Remediation;
  private readonly output: AlertOutput;
  private readonly consumer: AlerterConsumer;
  private readonly alertmanager?: AlertmanagerNotifier;
  private readonly webhook?: WebhookNotifier;
  private dlqProducer;

  constructor(
    private readonly config: AlerterConfig,
    private readonly logger: AppLogger,
    metrics: Metrics,
    health: Health,
  ) {
    const topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
    this.kafka = createKafkaClient({
      brokers: config.KAFKA_BROKERS,
      clientId: config.ALERTER_ID,
      logger,
      metrics,
    });
    this.dlqProducer = this.kafka.producer({
      createPartitioner: KeyPartitioner,
      allowAutoTopicCreation: false,
    });
    this.rules = new RuleSet(
      this.kafka,
      topics['alert-rules'],
      {
        file: config.ALERTER_RULES_FILE,
        pollMs: config.ALERTER_RULES_POLL_MS,
        instanceId: config.ALERTER_ID,
      },
      logger.child({ component: 'rules' }),
      metrics,
    );
    this.silences = new SilenceStore(this.kafka, topics.silences, config.ALERTER_ID, logger);
    this.log = new AlertLog(this.kafka, topics.alerts, config.ALERTER_ID, logger);
    this.remediation = new Remediation(
      this.kafka,
      { commands: topics.commands, commandStatus: topics['command-status'] },
      this.log,
      { instanceId: config.ALERTER_ID, commandExpiryMs: config.ALERTER_COMMAND_EXPIRY_MS },
      logger.child({ component: 'remediation' }),
    );
    if (config.ALERTER_ALERTMANAGER_URL) {
      this.alertmanager = new AlertmanagerNotifier({
        url: config.ALERTER_ALERTMANAGER_URL,
        resendIntervalMs: config.ALERTER_RESEND_INTERVAL_MS,
      });
    }
    if (config.ALERTER_WEBHOOK_URL) {
      this.webhook = new WebhookNotifier(
        {
          url: config.ALERTER_WEBHOOK_URL,
          token: config.ALERTER_WEBHOOK_TOKEN,
          attempts: config.ALERTER_WEBHOOK_ATTEMPTS,
        },
        (alert, reason) => this.deadLetter(topics.dlq, alert, reason),
      );
    }
    this.output = new AlertOutput(
      this.log,
      { alertmanager: this.alertmanager, webhook: this.webhook },
      this.silences,
      this.remediation,
      (name) => this.rules.current().find((r) => r.definition.name === name)?.definition,
      logger.child({ component: 'notify' }),
      metrics,
    );
    this.consumer = new AlerterConsumer(
      this.kafka,
      {
        topics,
        groupId: `${config.KAFKA_TOPIC_PREFIX}alerter`,
        maxLatenessMs: config.ALERTER_MAX_LATENESS_MS,
        lookbackMs: config.ALERTER_REBUILD_LOOKBACK_MS,
        tickMs: config.ALERTER_TICK_MS,
      },
      this.rules,
      this.log,
      this.output,
      logger.child({ component: 'consumer' }),
      metrics,
    );
    health.register('alerts-topic', () =>
      this.log.caughtUp ? { ready: true } : { ready: false, detail: 'alerts topic not read to its end yet' },
    );
  }

  async start(): Promise<void> {
    const c = this.config;
    await ensureTopics(
      this.kafka,
      topicSpecs(c.KAFKA_TOPIC_PREFIX, c.KAFKA_TOPIC_PARTITIONS, c.KAFKA_REPLICATION_FACTOR),
    );
    await this.dlqProducer.connect();
    await this.rules.start();
    await this.silences.start();
    await this.log.start();
    await this.remediation.start();
    await this.consumer.start();
    this.logger.info(
      {
        alertmanager: Boolean(this.alertmanager),
        webhook: Boolean(this.webhook),
        rules: this.rules.current().length,
      },
      'alerter running',
    );
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.output.drain();
    await this.alertmanager?.close();
    await this.webhook?.close();
    await this.remediation.stop();
    await this.log.stop();
    await this.silences.stop();
    await this.rules.stop();
    await this.dlqProducer.disconnect();
  }

  /** A webhook notification that failed its last retry: kept on the DLQ topic with the reason. */
  private async deadLetter(topic: string, alert: NotifiableAlert, reason: string): Promise<void> {
    await this.dlqProducer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: alert.fingerprint,
          value: Buffer.from(JSON.stringify(alert)),
          headers: {
            [HEADER.dlqReason]: 'webhook_undeliverable',
            [HEADER.dlqDetail]: reason.slice(0, 1000),
            [HEADER.dlqSource]: 'alerter',
            [HEADER.schema]: 'alerter.NotifiableAlert.json/1',
          },
        },
      ],
    });
  }
}
