import type { Consumer } from 'kafkajs';
import { commandspb } from '@app/contracts';
import { kafkaClient } from './bench-apps';

const { CommandStatus } = commandspb;

export const statusLabel = (s: commandspb.CommandStatus) =>
  (CommandStatus[s] ?? String(s)).replace('COMMAND_STATUS_', '').toLowerCase();

/** Reads `<prefix>command-status` from its start while the bench runs: records and commands per status. */
export class StatusReader {
  /** status → command id → records of that status seen for it. */
  readonly byStatus = new Map<commandspb.CommandStatus, Map<string, number>>();
  /** DELIVERED records by the gateway that wrote them. */
  readonly deliveredBy = new Map<string, number>();
  undecodable = 0;
  private consumer: Consumer | undefined;
  private readonly seen = new Set<string>();

  constructor(
    private readonly brokers: string,
    private readonly topic: string,
  ) {}

  async start(): Promise<void> {
    const consumer = kafkaClient(this.brokers, 'bench-commands-status').consumer({
      groupId: `bench-commands-status-${process.pid}-${Date.now()}`,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        // kafkajs may hand a partition's first records over twice while the group settles.
        const at = `${partition}/${message.offset}`;
        if (this.seen.has(at) || !message.value) return;
        this.seen.add(at);
        let event: commandspb.CommandStatusChanged;
        try {
          event = commandspb.CommandStatusChanged.decode(message.value);
        } catch {
          this.undecodable++;
          return;
        }
        let commands = this.byStatus.get(event.status);
        if (!commands) this.byStatus.set(event.status, (commands = new Map<string, number>()));
        commands.set(event.commandId, (commands.get(event.commandId) ?? 0) + 1);
        if (event.status === CommandStatus.COMMAND_STATUS_DELIVERED)
          this.deliveredBy.set(event.gatewayId, (this.deliveredBy.get(event.gatewayId) ?? 0) + 1);
      },
    });
  }

  commandsWith(status: commandspb.CommandStatus): Map<string, number> {
    return this.byStatus.get(status) ?? new Map<string, number>();
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
