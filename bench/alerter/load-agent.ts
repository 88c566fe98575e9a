import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ClientDuplexStream, credentials, Metadata } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import { HOT_EVERY, HOT_OFFSET, KINDS } from './bench-rules';

const GIB = 1024 * 1024 * 1024;
const MEMORY_LIMIT = 2 * GIB;

export interface LoadContainer {
  /** 64 hex digits, as Docker's. */
  id: string;
  /** `<kind>-<global index>` */
  name: string;
  image: string;
  hot: boolean;
  /** Base load: CPU % and memory %, and cumulative network bytes. */
  cpu: number;
  memory: number;
  rx: number;
  tx: number;
}

export interface LoadHost {
  name: string;
  containers: LoadContainer[];
}

/** `ak_` + 34 letters and digits (the gateway takes 22..200). */
export function loadAgentKey(run: string, i: number): string {
  return `ak_alr${run}${i.toString().padStart(6, '0')}${'k'.repeat(16)}`;
}

function bearer(key: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return metadata;
}

/** The hosts of agent `index`: `hostsPerAgent` hosts `h-<agent>-<n>` of `perHost` containers each. */
export function hostsOf(index: number, hostsPerAgent: number, perHost: number): LoadHost[] {
  return Array.from({ length: hostsPerAgent }, (_, h) => ({
    name: `h-${index}-${h}`,
    containers: Array.from({ length: perHost }, (_, c) => {
      const g = (index * hostsPerAgent + h) * perHost + c;
      const kind = KINDS[g % KINDS.length];
      return {
        id: randomBytes(32).toString('hex'),
        name: `${kind}-${g}`,
        image: `bench/${kind}:1`,
        hot: g % HOT_EVERY === HOT_OFFSET,
        cpu: 2 + Math.random() * 45,
        memory: 15 + Math.random() * 45,
        rx: Math.floor(Math.random() * 1e9),
        tx: Math.floor(Math.random() * 1e9),
      };
    }),
  }));
}

/** A message written on the stream whose ACK the bench waits for (probes). */
export interface Tracked {
  /** 1-based position of the message on its stream: the ACK with acked_count ≥ seq covers it. */
  seq: number;
  writtenAt: number;
  ackedAt?: number;
}

/**
 * An agent on the generated gRPC client: registers with its hosts, keeps one DataStream open on
 * a channel shared with other agents (`channel`), sends each host's container list, then stats and
 * events as the bench asks, and heartbeats. It counts what it wrote and what the gateway ACKed.
 */
export class LoadAgent {
  agentId = '';
  written = 0;
  acked = 0;
  /** Set once the stream ended (it should not before the bench closes it). */
  ended: { code: number; details: string } | undefined;
  private readonly client: agentpb.AgentServiceClient;
  private call: ClientDuplexStream<agentpb.AgentMessage, agentpb.ServerMessage> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly tracked: Tracked[] = [];

  constructor(
    readonly index: number,
    readonly key: string,
    port: number,
    channel: number,
    readonly hosts: LoadHost[],
  ) {
    // Agents with the same options share one HTTP/2 connection (grpc-js' subchannel pool): the
    // channel number makes a few of them.
    this.client = new agentpb.AgentServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'bench.channel': channel,
      'grpc.enable_retries': 0,
    });
  }

  get unacked(): number {
    return this.written - this.acked;
  }

  async connect(heartbeatEveryMs: number): Promise<void> {
    const answer = await new Promise<agentpb.RegisterResponse>((done, fail) =>
      this.client.register(
        agentpb.RegisterRequest.fromPartial({
          agentKey: this.key,
          agentName: `alerter-bench-${this.index}`,
          hosts: this.hosts.map((h, i) => ({
            name: h.name,
            addr: `10.${this.index >> 8}.${this.index & 255}.${i}`,
          })),
        }),
        bearer(this.key),
        (e, r) => (e ? fail(e) : done(r)),
      ),
    );
    this.agentId = answer.agentId;
    const call = this.client.dataStream(bearer(this.key));
    this.call = call;
    call.on('data', (m: agentpb.ServerMessage) => {
      if (m.command === agentpb.CommandType.ACK) this.onAck(Number(m.ackedCount ?? 0));
    });
    call.on('error', () => undefined);
    call.on('status', (s) => (this.ended = { code: s.code, details: s.details }));
    for (const host of this.hosts) this.sendList(host);
    this.heartbeat = setInterval(() => this.beat(), heartbeatEveryMs);
  }

  sendList(host: LoadHost): void {
    this.write({
      host: host.name,
      type: agentpb.DataType.CONTAINER_LIST,
      timestamp: String(Date.now()),
      listData: {
        containers: host.containers.map((c) =>
          agentpb.ContainerInfo.fromPartial({
            id: c.id,
            name: `/${c.name}`,
            image: c.image,
            state: 'running',
            status: 'Up 2 hours',
          }),
        ),
      },
    });
  }

  /** One CONTAINER_STATS message with a sample of every container of the host, at `nowMs`. */
  sendStats(host: LoadHost, nowMs: number): void {
    this.write({
      host: host.name,
      type: agentpb.DataType.CONTAINER_STATS,
      timestamp: String(nowMs),
      statsData: {
        stats: host.containers.map((c) => {
          const cpu = c.hot ? 96.5 + Math.random() * 1.5 : Math.max(0, c.cpu + (Math.random() - 0.5) * 10);
          const memory = c.hot ? 92 + Math.random() * 2 : c.memory + (Math.random() - 0.5) * 4;
          c.rx += Math.floor(Math.random() * 200_000);
          c.tx += Math.floor(Math.random() * 100_000);
          const usage = Math.round((memory / 100) * MEMORY_LIMIT);
          return {
            id: c.id,
            name: c.name,
            cpuPercent: cpu,
            memoryUsage: String(usage),
            memoryLimit: String(MEMORY_LIMIT),
            memoryPercent: memory,
            networkRx: String(c.rx),
            networkTx: String(c.tx),
          };
        }),
      },
    });
  }

  /** A Docker container event, as an agent forwards it; the returned record follows its ACK. */
  sendEvent(
    host: LoadHost,
    container: { id: string; name: string; image: string },
    action: string,
    attrs: Record<string, string>,
    nowMs: number,
  ): Tracked {
    this.write({
      host: host.name,
      type: agentpb.DataType.CONTAINER_EVENT,
      timestamp: String(nowMs),
      eventData: {
        type: 'container',
        action,
        actorId: container.id,
        actorName: container.name,
        timestamp: String(nowMs),
        attrs: { name: container.name, image: container.image, ...attrs },
      },
    });
    return { seq: this.written, writtenAt: performance.now() };
  }

  /** Follows the ACK of a message just written (probes). */
  track(t: Tracked): void {
    this.tracked.push(t);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.call?.cancel();
    this.client.close();
  }

  private write(message: Partial<agentpb.AgentMessage>): void {
    this.written++;
    this.call?.write(agentpb.AgentMessage.fromPartial({ agentKey: this.key, ...message }));
  }

  private onAck(count: number): void {
    if (count <= this.acked) return;
    this.acked = count;
    if (this.tracked.length === 0) return;
    const now = performance.now();
    while (this.tracked.length > 0 && this.tracked[0].seq <= count) this.tracked.shift()!.ackedAt = now;
  }

  private beat(): void {
    this.client.heartbeat(
      agentpb.HeartbeatRequest.fromPartial({ agentKey: this.key, timestamp: String(Date.now()) }),
      bearer(this.key),
      () => undefined,
    );
  }
}
