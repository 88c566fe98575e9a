import { ChannelCredentials, ClientDuplexStream, credentials, Metadata } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import type { AppLogger } from '@app/observability';
import { ContainerHost } from '../world/container-host';
import { Random } from '../world/random';
import { Outbox } from './outbox';

export interface AgentSettings {
  gatewayAddress: string;
  agentKey: string;
  agentName: string;
  hosts: number;
  containersPerHost: number;
  statsIntervalMs: number;
  inventoryIntervalMs: number;
  heartbeatIntervalMs: number;
  incidentProbability: number;
  /** Name parts of containers that fail every start (SIM_FAILING_CONTAINERS). */
  failingContainers?: readonly string[];
  seed: number;
  tls: boolean;
}

export interface AgentCounters {
  sent: (type: string) => void;
  acked: (n: number) => void;
  reconnect: () => void;
  command: (type: string) => void;
}

type Payload = Pick<agentpb.AgentMessage, 'type' | 'listData' | 'inspectData' | 'statsData' | 'eventData'>;

/**
 * Behaves like the deployed Go agent: Register, then one DataStream carrying list, inspect, stats
 * and events for its hosts, Heartbeat on a timer, and obeys start/stop/restart from the server.
 */
export class SimulatedAgent {
  private readonly client: agentpb.AgentServiceClient;
  private readonly metadata = new Metadata();
  private readonly hosts: ContainerHost[];
  private readonly outbox = new Outbox<agentpb.AgentMessage>(10_000);
  private stream: ClientDuplexStream<agentpb.AgentMessage, agentpb.ServerMessage> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  agentId = '';

  constructor(
    private readonly settings: AgentSettings,
    private readonly counters: AgentCounters,
    private readonly logger: AppLogger,
  ) {
    const creds: ChannelCredentials = settings.tls ? credentials.createSsl() : credentials.createInsecure();
    this.client = new agentpb.AgentServiceClient(settings.gatewayAddress, creds, {
      'grpc.keepalive_time_ms': 60_000,
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 5_000,
    });
    this.metadata.set('authorization', `Bearer ${settings.agentKey}`);
    const random = new Random(settings.seed);
    this.hosts = Array.from(
      { length: settings.hosts },
      (_, i) =>
        new ContainerHost(
          `${settings.agentName}-host${i}`,
          settings.containersPerHost,
          random,
          settings.failingContainers,
        ),
    );
  }

  async start(): Promise<void> {
    await this.register();
    this.openStream();
    this.sendInventory();
    this.every(this.settings.statsIntervalMs, () => this.tick());
    this.every(this.settings.inventoryIntervalMs, () => this.sendInventory());
    this.every(this.settings.heartbeatIntervalMs, () => void this.heartbeat());
  }

  /**
   * Stops sending new data, then waits up to `drainMs` for the gateway to ACK what is still
   * unacknowledged (resending it on a new stream if the current one fails), like an agent that
   * flushes before it exits. Resolves with what stayed unacknowledged.
   */
  async stop(drainMs = 0): Promise<number> {
    this.timers.forEach(clearInterval);
    this.timers = [];
    const deadline = Date.now() + drainMs;
    while (this.outbox.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.stopped = true;
    this.stream?.end();
    this.client.close();
    return this.outbox.size;
  }

  /** Messages that could not wait any longer for an ACK and were given up (outbox overflow). */
  get dropped(): number {
    return this.outbox.dropped;
  }

  private register(): Promise<void> {
    const request = {
      agentKey: this.settings.agentKey,
      agentName: this.settings.agentName,
      hosts: this.hosts.map((h, i) => ({
        name: h.name,
        addr: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      })),
    };
    return new Promise((resolve, reject) =>
      this.client.register(request, this.metadata, (error, response) => {
        if (error) return reject(error);
        this.agentId = response.agentId;
        resolve();
      }),
    );
  }

  private heartbeat(): Promise<void> {
    return new Promise((resolve) =>
      this.client.heartbeat(
        { agentKey: this.settings.agentKey, timestamp: String(Date.now()) },
        this.metadata,
        (error) => {
          if (error)
            this.logger.warn({ agent: this.settings.agentName, code: error.code }, 'heartbeat failed');
          resolve();
        },
      ),
    );
  }

  private openStream(): void {
    const stream = this.client.dataStream(this.metadata);
    this.stream = stream;
    stream.on('data', (message: agentpb.ServerMessage) => this.onServerMessage(message));
    stream.on('error', (error: Error & { code?: number }) => {
      this.logger.info(
        { agent: this.settings.agentName, code: error.code, reason: error.message },
        'stream ended',
      );
    });
    stream.on('status', () => {
      if (this.stopped || this.stream !== stream) return;
      this.counters.reconnect();
      setTimeout(() => this.reopen(), 1000 + Math.random() * 1000).unref();
    });
  }

  private reopen(): void {
    if (this.stopped) return;
    this.openStream();
    // What is resent is unacknowledged on the new stream too: it goes back into the outbox, or
    // the new stream's ACK counts would be taken off newer messages and a second failure lose it.
    for (const message of this.outbox.restart()) {
      this.outbox.add(message);
      this.write(message);
    }
  }

  private onServerMessage(message: agentpb.ServerMessage): void {
    if (message.command === agentpb.CommandType.ACK) {
      this.counters.acked(this.outbox.acknowledge(Number(message.ackedCount ?? 0)));
      return;
    }
    const type = agentpb.CommandType[message.command] ?? 'UNKNOWN';
    this.counters.command(type);
    this.obey(message, type, Date.now());
  }

  /**
   * Carries out start/stop/restart on the named host like its Docker daemon would: the events go
   * through the outbox (resent after a reconnect like any message), followed by a fresh list and
   * inspect of the host so the fleet view shows the new state. A command for a host or container
   * this agent does not have, or an ambiguous id prefix, is ignored with a log line (the server
   * learns the outcome from the events, so it sees nothing happen).
   */
  private obey(message: agentpb.ServerMessage, type: string, nowMs: number): void {
    const log = {
      agent: this.settings.agentName,
      command: type,
      host: message.host,
      target: message.targetContainer,
    };
    const host = this.hosts.find((h) => h.name === message.host);
    if (!host) {
      this.logger.warn(log, 'command ignored: no such host');
      return;
    }
    const result = host.command(message.command, message.targetContainer, nowMs);
    switch (result.outcome) {
      case 'applied':
        this.logger.info(
          { ...log, container: result.container?.id, events: result.events.map((e) => e.action) },
          'command carried out',
        );
        for (const event of result.events) {
          this.send(host, { type: agentpb.DataType.CONTAINER_EVENT, eventData: event });
        }
        this.send(host, { type: agentpb.DataType.CONTAINER_LIST, listData: host.list() });
        this.send(host, { type: agentpb.DataType.CONTAINER_INSPECT, inspectData: host.inspect() });
        return;
      case 'not_modified':
        this.logger.info(
          { ...log, container: result.container?.id },
          'command had nothing to do (Docker 304)',
        );
        return;
      case 'not_found':
        this.logger.warn(log, 'command ignored: no such container');
        return;
      case 'ambiguous':
        this.logger.warn(log, 'command ignored: the id prefix names several containers');
        return;
      case 'unsupported':
        this.logger.warn(log, 'command ignored: not a container command');
        return;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const host of this.hosts) {
      this.send(host, { type: agentpb.DataType.CONTAINER_STATS, statsData: host.stats() });
      for (const event of host.incidents(this.settings.incidentProbability, now)) {
        this.send(host, { type: agentpb.DataType.CONTAINER_EVENT, eventData: event });
      }
    }
  }

  private sendInventory(): void {
    for (const host of this.hosts) {
      this.send(host, { type: agentpb.DataType.CONTAINER_LIST, listData: host.list() });
      this.send(host, { type: agentpb.DataType.CONTAINER_INSPECT, inspectData: host.inspect() });
    }
  }

  private send(host: ContainerHost, payload: Payload): void {
    const message = agentpb.AgentMessage.fromPartial({
      ...payload,
      agentKey: this.settings.agentKey,
      host: host.name,
      timestamp: String(Date.now()),
    });
    this.outbox.add(message);
    this.write(message);
    this.counters.sent(agentpb.DataType[payload.type]);
  }

  private write(message: agentpb.AgentMessage): void {
    if (this.stream && !this.stream.writableEnded) this.stream.write(message);
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }
}
