import type { Consumer } from 'kafkajs';
import { testKafka } from './kafka-records';

/** Reads topics from their start into memory as records arrive, for tests that poll what is there. */
export class TopicTail<T> {
  readonly items: T[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly topics: string[],
    private readonly decode: (value: Buffer, topic: string) => T,
  ) {}

  async start(): Promise<this> {
    const consumer = testKafka().consumer({
      groupId: `tail-${Math.random().toString(16).slice(2)}`,
      maxWaitTimeInMs: 50,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const at = `${topic}/${partition}/${message.offset}`;
        if (seen.has(at) || !message.value) return;
        seen.add(at);
        this.items.push(this.decode(message.value, topic));
      },
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
