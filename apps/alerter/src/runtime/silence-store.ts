import type { Kafka } from 'kafkajs';
import { alertspb } from '@app/contracts';
import { TopicFollower } from '@app/kafka';
import type { AppLogger } from '@app/observability';

/** The silences set through the control-api: the compacted silences topic, read from its start and followed. */
export class SilenceStore {
  private readonly silences = new Map<string, alertspb.SilenceRecord>();
  private readonly follower: TopicFollower;

  constructor(kafka: Kafka, topic: string, instanceId: string, logger: AppLogger) {
    this.follower = new TopicFollower(
      kafka,
      { topics: [topic], groupPrefix: `alerter-silences-${instanceId}` },
      (r) => {
        const id = String(r.message.key ?? '');
        if (!r.message.value) this.silences.delete(id);
        else this.silences.set(id, alertspb.SilenceRecord.decode(r.message.value));
      },
      logger,
    );
  }

  async start(): Promise<void> {
    await this.follower.start();
    await this.follower.whenCaughtUp();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  all(): Iterable<alertspb.SilenceRecord> {
    return this.silences.values();
  }
}
