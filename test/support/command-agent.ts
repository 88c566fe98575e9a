import type { ClientDuplexStream } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import { agentClient, bearer, Client, register } from './agent-client';

/** The containers every CommandAgent reports: targets for commands by id, prefix or name. */
export const AGENT_CONTAINERS = [
  { id: 'c0ffee000001aaaa', name: 'web', state: 'running' },
  { id: 'db0000000002bbbb', name: 'db', state: 'running' },
  { id: 'cace00000003cccc', name: 'cache', state: 'exited' },
];

/**
 * An agent on the generated gRPC client, as a deployed one: registers, keeps a DataStream open,
 * records every command the server writes to it, and can send container events back.
 */
export class CommandAgent {
  readonly commands: agentpb.ServerMessage[] = [];
  agentId = '';
  private client: Client | undefined;
  private call: ClientDuplexStream<agentpb.AgentMessage, agentpb.ServerMessage> | undefined;
  private ended: Promise<void> = Promise.resolve();

  constructor(
    readonly key: string,
    readonly host = 'host-1',
  ) {}

  /** Registers (first time) and opens a DataStream on the gateway at `port`. */
  async connect(port: number): Promise<this> {
    this.client = agentClient(port);
    const answer = await register(this.client, bearer(this.key), {
      agentKey: this.key,
      agentName: `agent-on-${this.host}`,
      hosts: [{ name: this.host, addr: '10.0.0.1' }],
    });
    this.agentId = answer.agentId;
    const call = this.client.dataStream(bearer(this.key));
    this.call = call;
    call.on('data', (m: agentpb.ServerMessage) => {
      if (m.command !== agentpb.CommandType.ACK) this.commands.push(m);
    });
    call.on('error', () => undefined);
    this.ended = new Promise((resolve) => call.on('status', () => resolve()));
    // Its containers, so the fleet view (and the control-api's checks) know them.
    this.send(this.list(AGENT_CONTAINERS));
    return this;
  }

  send(message: Partial<agentpb.AgentMessage>): void {
    this.call?.write(agentpb.AgentMessage.fromPartial({ agentKey: this.key, host: this.host, ...message }));
  }

  list(containers: Partial<agentpb.ContainerInfo>[]): Partial<agentpb.AgentMessage> {
    return {
      type: agentpb.DataType.CONTAINER_LIST,
      timestamp: String(Date.now()),
      listData: { containers: containers.map((c) => agentpb.ContainerInfo.fromPartial(c)) },
    };
  }

  /** A Docker event of one container, as an agent forwards it. */
  event(
    action: string,
    containerId: string,
    name: string,
    attrs: Record<string, string> = {},
    timeMs = Date.now(),
  ): void {
    this.send({
      type: agentpb.DataType.CONTAINER_EVENT,
      timestamp: String(timeMs),
      eventData: {
        type: 'container',
        action,
        actorId: containerId,
        actorName: name,
        timestamp: String(timeMs),
        attrs: { name, ...attrs },
      },
    });
  }

  /** One container's stats sample at `timeMs` (the agent's clock). */
  stats(containerId: string, name: string, cpuPercent: number, timeMs = Date.now()): void {
    this.send({
      type: agentpb.DataType.CONTAINER_STATS,
      timestamp: String(timeMs),
      statsData: {
        stats: [
          agentpb.ContainerStats.fromPartial({
            id: containerId,
            name,
            cpuPercent,
            memoryUsage: '1000',
            memoryLimit: '4000',
            memoryPercent: 25,
          }),
        ],
      },
    });
  }

  /** Ends the stream (half-close) and waits for the server's status. */
  async disconnect(): Promise<void> {
    this.call?.end();
    await this.ended;
    this.client?.close();
    this.call = undefined;
  }

  /** Drops the connection without a goodbye, as a crashed agent or a cut network. */
  kill(): void {
    this.call?.cancel();
    this.client?.close();
    this.call = undefined;
  }
}
