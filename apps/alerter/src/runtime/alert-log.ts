import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { alertspb, HEADER, SCHEMA } from '@app/contracts';
import { KeyPartitioner, TopicFollower } from '@app/kafka';
import type { AppLogger } from '@app/observability';

const { AlertState } = alertspb;

export interface KnownAlert {
  transition: alertspb.AlertTransition;
  /** Per channel: the last state a notification of it succeeded for. */
  notified: Map<string, alertspb.AlertState>;
  remediations: { atMs: number; commandId: string; attempt: number }[];
}

/** Resolved alerts are remembered this long (remediation cooldowns, no second resolve notice). */
const RESOLVED_MEMORY_MS = 24 * 3600_000;

/**
 * The alerts topic as the alerter's memory: every transition, notification and remediation it
 * ever wrote, read back from the topic's start at boot (and followed), so that after a restart or
 * a rebalance an instance knows which alerts fire, which were notified, and which commands were
 * sent — and neither notifies twice nor forgets. Writes go to the topic (keyed by fingerprint)
 * and into memory at once.
 */
export class AlertLog {
  readonly known = new Map<string, KnownAlert>();
  private readonly follower: TopicFollower;
  private producer: Producer | undefined;
  /** Records written here and applied already: their copies read back are skipped (order is kept). */
  private readonly ownUnread = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly writer: string,
    private readonly logger: AppLogger,
  ) {
    this.follower = new TopicFollower(
      kafka,
      { topics: [topic], groupPrefix: `alerter-alerts-${writer}` },
      (r) => r.message.value && this.readBack(alertspb.AlertLogRecord.decode(r.message.value)),
      logger,
    );
  }

  /** Resolves once every record written before the start is applied. */
  async start(): Promise<void> {
    this.producer = this.kafka.producer({ createPartitioner: KeyPartitioner, allowAutoTopicCreation: false });
    await this.producer.connect();
    await this.follower.start();
    await this.follower.whenCaughtUp();
  }

  get caughtUp(): boolean {
    return this.follower.caughtUp;
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    await this.producer?.disconnect();
  }

  async write(
    entries: Omit<Partial<alertspb.AlertLogRecord>, 'recordId' | 'emittedAtMs' | 'writer'>[],
  ): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now();
    const records = entries.map((entry) =>
      alertspb.AlertLogRecord.fromPartial({
        ...entry,
        recordId: randomUUID(),
        emittedAtMs: String(now),
        writer: this.writer,
      }),
    );
    records.forEach((r) => {
      this.apply(r);
      this.ownUnread.add(r.recordId);
    });
    await this.producer!.send({
      topic: this.topic,
      acks: -1,
      messages: records.map((r) => ({
        key: fingerprintOf(r),
        value: Buffer.from(alertspb.AlertLogRecord.encode(r).finish()),
        headers: {
          [HEADER.messageId]: r.recordId,
          [HEADER.tenantId]: r.transition?.tenantId ?? '',
          [HEADER.agentId]: r.transition?.agentId ?? '',
          [HEADER.schema]: SCHEMA.alertLog,
        },
      })),
    });
  }

  /** Forgets resolved alerts long past (memory bound). */
  prune(nowMs: number): void {
    for (const [fingerprint, alert] of this.known) {
      const t = alert.transition;
      if (
        t.state === AlertState.ALERT_STATE_RESOLVED &&
        nowMs - Number(t.endsAtMs || t.atMs) > RESOLVED_MEMORY_MS
      ) {
        this.known.delete(fingerprint);
      }
    }
  }

  private readBack(record: alertspb.AlertLogRecord): void {
    if (this.ownUnread.delete(record.recordId)) return;
    this.apply(record);
  }

  private apply(record: alertspb.AlertLogRecord): void {
    const fingerprint = fingerprintOf(record);
    if (!fingerprint) return;
    if (record.transition) {
      const existing = this.known.get(fingerprint);
      if (!existing) {
        this.known.set(fingerprint, { transition: record.transition, notified: new Map(), remediations: [] });
      } else if (existing.transition !== record.transition) {
        existing.transition = record.transition; // the topic's order is the order they were decided in
      }
    } else if (record.notified) {
      const alert = this.known.get(fingerprint);
      if (alert && record.notified.ok) alert.notified.set(record.notified.channel, record.notified.state);
    } else if (record.remediation) {
      const alert = this.known.get(fingerprint);
      const r = record.remediation;
      if (alert && !alert.remediations.some((x) => x.commandId === r.commandId)) {
        alert.remediations.push({
          atMs: Number(record.emittedAtMs),
          commandId: r.commandId,
          attempt: r.attempt,
        });
      }
    }
  }
}

function fingerprintOf(r: alertspb.AlertLogRecord): string {
  return r.transition?.fingerprint ?? r.notified?.fingerprint ?? r.remediation?.fingerprint ?? '';
}
