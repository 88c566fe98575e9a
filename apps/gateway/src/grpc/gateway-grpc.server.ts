import { Server, ServerDuplexStream } from '@grpc/grpc-js';
import type { agentpb } from '@app/contracts';
import type { AppLogger, Metrics } from '@app/observability';
import type { AuthGate } from '../auth/auth.gate';
import { createAuthInterceptor } from '../auth/auth.interceptor';
import type { AgentUnaryHandlers } from '../rpc/agent-unary.handlers';
import { DataStreamSession, SessionDependencies } from '../streams/data-stream.session';
import { AGENT_CONNECTION_HTTP2_OPTIONS, applyHttp2SessionOptions } from './http2-session-options';
import { RAW_AGENT_SERVICE } from './raw-agent-service';
import { serverCredentials } from './server-credentials';

export interface GrpcServerSettings {
  host: string;
  port: number;
  maxMessageBytes: number;
  tlsCert?: string;
  tlsKey?: string;
  shutdownGraceMs: number;
}

/** Hosts the seed's AgentService on a grpc-js server and owns its DataStream sessions. */
export class GatewayGrpcServer {
  private readonly server: Server;
  private readonly sessions = new Set<DataStreamSession>();
  private boundPort = 0;

  constructor(
    private readonly settings: GrpcServerSettings,
    private readonly auth: AuthGate,
    private readonly unary: AgentUnaryHandlers,
    private readonly sessionDeps: SessionDependencies,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    metrics.gauge({
      name: 'gateway_open_streams',
      help: 'Open DataStreams',
      value: () => this.sessions.size,
    });
    this.server = new Server({
      'grpc.max_receive_message_length': settings.maxMessageBytes,
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.http2.min_ping_interval_without_data_ms': 10_000,
      // Channelz (on by default, read by nothing here) registers every connection and wraps every
      // call in trackers: memory per idle agent for no reader.
      'grpc.enable_channelz': 0,
      interceptors: [createAuthInterceptor(auth)],
    });
    if (!applyHttp2SessionOptions(this.server, AGENT_CONNECTION_HTTP2_OPTIONS)) {
      logger.warn('grpc-js internals changed: HTTP/2 header tables not turned off (more memory per agent)');
    }
    this.server.addService(RAW_AGENT_SERVICE, {
      dataStream: (call: ServerDuplexStream<Buffer, agentpb.ServerMessage | Buffer>) => this.openStream(call),
      register: this.unary.register,
      heartbeat: this.unary.heartbeat,
    });
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    const { host, port, tlsCert, tlsKey } = this.settings;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, serverCredentials(tlsCert, tlsKey), (error, bound) =>
        error ? reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`)) : resolve(bound),
      ),
    );
    this.logger.info({ port: this.boundPort, tls: Boolean(tlsCert) }, 'gRPC AgentService listening');
    return this.boundPort;
  }

  /** No new calls; open streams store what they accepted, ACK it, and end with UNAVAILABLE. */
  async shutdown(): Promise<void> {
    // Throttled peers' refusals would otherwise hold tryShutdown for their whole delay.
    this.auth.flush();
    const stopped = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await Promise.all([...this.sessions].map((s) => s.drainAndClose('gateway shutting down, reconnect')));
    const grace = new Promise<'timeout'>((r) =>
      setTimeout(() => r('timeout'), this.settings.shutdownGraceMs).unref(),
    );
    if ((await Promise.race([stopped, grace])) === 'timeout') this.server.forceShutdown();
    this.logger.info('gRPC server stopped');
  }

  private openStream(call: ServerDuplexStream<Buffer, agentpb.ServerMessage | Buffer>): void {
    const info = { peer: call.getPeer(), method: '/containeragent.AgentService/DataStream' };
    const auth = this.auth.identify(info, call.metadata, undefined, (refusal) => call.emit('error', refusal));
    if (!auth) return;
    const session: DataStreamSession = new DataStreamSession(
      call,
      auth.principal,
      auth.agentKey,
      this.sessionDeps,
      () => this.sessions.delete(session),
    );
    this.sessions.add(session);
    session.start();
  }
}
