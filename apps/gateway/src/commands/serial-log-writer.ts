import type { Message, Producer } from 'kafkajs';

interface Queued {
  topic: string;
  message: Message;
  done: (error?: Error) => void;
}

/**
 * Writes records in the order they are queued (one sendBatch in flight at a time, everything
 * queued meanwhile goes in the next), retrying a failed batch until `stop`. The order matters:
 * a holder's stream_closed must reach the log before anything it writes later for that stream.
 * Remembers, per partition of `offsetsOf`, the offset of the last record it wrote there.
 */
export class SerialLogWriter {
  private queue: Queued[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  readonly lastWritten = new Map<number, bigint>();

  constructor(
    private readonly producer: Producer,
    private readonly offsetsOf: string,
    private readonly onError: (error: Error) => void,
    private readonly retryMs = 500,
  ) {}

  write(records: { topic: string; message: Message }[]): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('command log writer stopped'));
    const written = records.map(
      (r) =>
        new Promise<void>((resolve, reject) =>
          this.queue.push({ ...r, done: (error) => (error ? reject(error) : resolve()) }),
        ),
    );
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return Promise.all(written).then(() => undefined);
  }

  /** Resolves once everything queued so far is written (or given up by `stop`). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    const queued = this.queue;
    this.queue = [];
    queued.forEach((q) => q.done(new Error('command log writer stopped')));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue;
      this.queue = [];
      for (;;) {
        try {
          const byTopic = new Map<string, Message[]>();
          for (const q of batch) byTopic.set(q.topic, [...(byTopic.get(q.topic) ?? []), q.message]);
          const metadata = await this.producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
          this.remember(metadata, batch);
          batch.forEach((q) => q.done());
          break;
        } catch (error) {
          this.onError(error as Error);
          if (this.stopped) {
            batch.forEach((q) => q.done(error as Error));
            return;
          }
          await new Promise((r) => setTimeout(r, this.retryMs));
        }
      }
    }
  }

  private remember(
    metadata: { topicName: string; partition: number; baseOffset?: string }[],
    batch: Queued[],
  ): void {
    for (const m of metadata) {
      if (m.topicName !== this.offsetsOf || m.baseOffset === undefined) continue;
      // Records of one partition in one batch get consecutive offsets from baseOffset.
      const count = batch.filter(
        (q) => q.topic === this.offsetsOf && q.message.partition === m.partition,
      ).length;
      const last = BigInt(m.baseOffset) + BigInt(Math.max(count, 1) - 1);
      if (last > (this.lastWritten.get(m.partition) ?? -1n)) this.lastWritten.set(m.partition, last);
    }
  }
}
