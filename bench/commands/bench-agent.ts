import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ClientDuplexStream, credentials, Metadata } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';

export const CONTAINER_NAMES = ['web', 'db', 'cache', 'worker'] as const;

export interface BenchContainer {
  /** 64 hex digits, as Docker's. */
  id: string;
  name: string;
}

/** `ak_` + 32 letters and digits (the gateway takes 22..200). */
export function benchAgentKey(run: string, i: number): string {
  return `ak_cmd${run}${i.toString().padStart(6, '0')}${'k'.repeat(16)}`;
}

function bearer(key: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return metadata;
}

/**
 * An agent on the generated gRPC client (as test/support/command-agent.ts), on a channel of its
 * own: registers, keeps a DataStream open, sends its host's container list, heartbeats, and hands
 * every command the server writes to it to `onCommand` with the time it arrived.
 */
export class BenchAgent {
  agentId = '';
  readonly host: string;
  readonly containers: BenchContainer[];
  /** Set once the stream ended (it should not before the bench closes it). */
  ended: { code: number; details: string } | undefined;
  private readonly client: agentpb.AgentServiceClient;
  private call: ClientDuplexStream<agentpb.AgentMessage, agentpb.ServerMessage> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    readonly index: number,
    readonly key: string,
    readonly port: number,
    private readonly onCommand: (agent: BenchAgent, message: agentpb.ServerMessage, at: number) => void,
  ) {
    this.host = `cb-host-${index}`;
    this.containers = CONTAINER_NAMES.map((name) => ({ id: randomBytes(32).toString('hex'), name }));
    // A distinct option per agent keeps grpc-js from sharing one connection between agents, as
    // deployed agents each have their own.
    this.client = new agentpb.AgentServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'bench.agent': index,
      'grpc.enable_retries': 0,
    });
  }

  async connect(heartbeatEveryMs: number): Promise<void> {
    const answer = await new Promise<agentpb.RegisterResponse>((done, fail) =>
      this.client.register(
        agentpb.RegisterRequest.fromPartial({
          agentKey: this.key,
          agentName: `cmd-bench-${this.index}`,
          hosts: [{ name: this.host, addr: '10.0.0.1' }],
        }),
        bearer(this.key),
        (e, r) => (e ? fail(e) : done(r)),
      ),
    );
    this.agentId = answer.agentId;
    const call = this.client.dataStream(bearer(this.key));
    this.call = call;
    call.on('data', (m: agentpb.ServerMessage) => {
      if (m.command !== agentpb.CommandType.ACK) this.onCommand(this, m, performance.now());
    });
    call.on('error', () => undefined);
    call.on('status', (s) => (this.ended = { code: s.code, details: s.details }));
    call.write(
      agentpb.AgentMessage.fromPartial({
        agentKey: this.key,
        host: this.host,
        type: agentpb.DataType.CONTAINER_LIST,
        timestamp: String(Date.now()),
        listData: {
          containers: this.containers.map((c) =>
            agentpb.ContainerInfo.fromPartial({
              id: c.id,
              name: `/${c.name}`,
              image: `bench/${c.name}:1`,
              state: 'running',
              status: 'Up 1 hour',
            }),
          ),
        },
      }),
    );
    this.heartbeat = setInterval(() => this.beat(), heartbeatEveryMs);
  }

  private beat(): void {
    this.client.heartbeat(
      agentpb.HeartbeatRequest.fromPartial({ agentKey: this.key, timestamp: String(Date.now()) }),
      bearer(this.key),
      () => undefined,
    );
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.call?.cancel();
    this.client.close();
  }
}
