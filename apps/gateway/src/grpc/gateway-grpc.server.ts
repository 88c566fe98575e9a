import { Server, ServerDuplexStream, status } from '@grpc/grpc-js';
import type { agentpb } from '@app/contracts';
import type { AppLogger, Metrics } from '@app/observability';
import { authenticate, createAuthInterceptor } from '../auth/auth.interceptor';
import type { KeyRegistry } from '../auth/key-registry';
import type { AgentUnaryHandlers } from '../rpc/agent-unary.handlers';
import { DataStreamSession, SessionDependencies } from '../streams/data-stream.session';
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
    private readonly keys: KeyRegistry,
    private readonly unary: AgentUnaryHandlers,
    private readonly sessionDeps: SessionDependencies,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    const rejected = metrics.counter({
      name: 'gateway_auth_rejections_total',
      help: 'Calls refused with UNAUTHENTICATED',
      labelNames: ['method'] as const,
    });
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
      interceptors: [
        createAuthInterceptor(keys, (method, reason) => {
          rejected.inc({ method });
          logger.info({ method, reason }, 'call refused: unauthenticated');
        }),
      ],
    });
    this.server.addService(RAW_AGENT_SERVICE, {
      dataStream: (call: ServerDuplexStream<Buffer, agentpb.ServerMessage>) => this.openStream(call),
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
    const stopped = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await Promise.all([...this.sessions].map((s) => s.drainAndClose('gateway shutting down, reconnect')));
    const grace = new Promise<'timeout'>((r) =>
      setTimeout(() => r('timeout'), this.settings.shutdownGraceMs).unref(),
    );
    if ((await Promise.race([stopped, grace])) === 'timeout') this.server.forceShutdown();
    this.logger.info('gRPC server stopped');
  }

  private openStream(call: ServerDuplexStream<Buffer, agentpb.ServerMessage>): void {
    const auth = authenticate(this.keys, call.metadata);
    if (!auth.ok) {
      call.emit('error', { code: status.UNAUTHENTICATED, details: auth.reason });
      return;
    }
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
