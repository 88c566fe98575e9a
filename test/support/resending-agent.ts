import { ClientDuplexStream } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import { Outbox } from '../../apps/agent-sim/src/agent/outbox';
import { agentClient, bearer, Client, register, statsMessage } from './agent-client';

export interface ResendingAgentOptions {
  gatewayPort: number;
  key: string;
  host: string;
  /** Samples to send; sample i has the time `firstSampleMs + i`, so each is unique. */
  samples: number;
  firstSampleMs: number;
  intervalMs: number;
}

/**
 * An agent on the generated client that behaves like agent-sim under faults: it keeps what was
 * not ACKed (agent-sim's Outbox), reconnects after a failed stream and sends that again first,
 * then goes on. `done` resolves once every sample is ACKed.
 */
export class ResendingAgent {
  readonly streams: number[] = [];
  resent = 0;
  private readonly client: Client;
  private readonly outbox = new Outbox<agentpb.AgentMessage>(1_000_000);
  private next = 0;
  private call: ClientDuplexStream<agentpb.AgentMessage, agentpb.ServerMessage> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private finish!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(private readonly options: ResendingAgentOptions) {
    this.client = agentClient(options.gatewayPort);
  }

  async start(): Promise<void> {
    await register(this.client, bearer(this.options.key), {
      agentKey: this.options.key,
      hosts: [{ name: this.options.host, addr: '127.0.0.1' }],
    });
    this.open();
    this.timer = setInterval(() => this.produce(), this.options.intervalMs);
  }

  /** For a failing test's message: how far this agent got. */
  progress(): string {
    return `${this.options.host}: produced ${this.next}/${this.options.samples}, unacked ${this.outbox.size}, streams ${this.streams.length}, connected ${this.call !== undefined}`;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.call?.cancel();
    this.client.close();
  }

  private open(): void {
    if (this.stopped) return;
    const call = this.client.dataStream(bearer(this.options.key));
    this.call = call;
    this.streams.push(0);
    call.on('data', (m: agentpb.ServerMessage) => {
      if (m.command !== agentpb.CommandType.ACK) return;
      this.outbox.acknowledge(Number(m.ackedCount ?? 0));
      this.maybeDone();
    });
    call.on('error', () => undefined);
    call.on('status', () => {
      if (this.call !== call) return;
      this.call = undefined;
      // The gateway cut the stream (or was unreachable): reconnect soon, send the rest again.
      if (!this.stopped && !this.finished()) setTimeout(() => this.open(), 200);
    });
    const pending = this.outbox.restart();
    this.resent += pending.length;
    for (const message of pending) this.write(message);
  }

  private produce(): void {
    if (!this.call || this.next >= this.options.samples) return;
    const i = this.next++;
    const message = agentpb.AgentMessage.fromPartial(
      statsMessage(this.options.key, this.options.host, i, String(this.options.firstSampleMs + i)),
    );
    this.write(message);
  }

  private write(message: agentpb.AgentMessage): void {
    this.outbox.add(message);
    this.streams[this.streams.length - 1]++;
    this.call?.write(message);
  }

  private finished(): boolean {
    return this.next >= this.options.samples && this.outbox.size === 0;
  }

  private maybeDone(): void {
    if (!this.finished()) return;
    clearInterval(this.timer);
    this.call?.end();
    this.finish();
  }
}
