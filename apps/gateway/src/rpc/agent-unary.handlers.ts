import { sendUnaryData, ServerUnaryCall, status } from '@grpc/grpc-js';
import { agentpb, eventspb } from '@app/contracts';
import { PublishError } from '@app/kafka';
import type { AppLogger } from '@app/observability';
import type { AuthGate } from '../auth/auth.gate';
import { toEpochMs } from '../ingest/epoch-time';
import type { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';

const { LifecycleKind } = eventspb;

export interface UnaryLimits {
  maxStringBytes: number;
  maxListItems: number;
  maxFutureSkewMs: number;
}

type Fail = { code: status; details: string };

/**
 * Register and Heartbeat. Both answer only after their lifecycle event is in Kafka, so an agent
 * that was told "success" is known to the rest of the platform.
 */
export class AgentUnaryHandlers {
  constructor(
    private readonly auth: AuthGate,
    private readonly lifecycle: LifecyclePublisher,
    private readonly limits: UnaryLimits,
    private readonly logger: AppLogger,
  ) {}

  register = (
    call: ServerUnaryCall<Buffer, agentpb.RegisterResponse>,
    done: sendUnaryData<agentpb.RegisterResponse>,
  ): void => {
    const request = this.decode(call.request, agentpb.RegisterRequest.decode, done);
    if (!request) return;
    const auth = this.checkBodyKey(call, 'Register', request.agentKey, done);
    if (!auth) return;
    const problem = this.registerProblem(request);
    if (problem) return done({ code: status.INVALID_ARGUMENT, details: problem });
    this.respond(
      this.lifecycle.publish(LifecycleKind.LIFECYCLE_KIND_REGISTERED, auth, {
        agentName: request.agentName,
        hosts: request.hosts.map((h) => ({ name: h.name, addr: h.addr })),
        peer: call.getPeer(),
      }),
      () => ({ success: true, message: 'registered', agentId: auth.agentId }),
      done,
    );
  };

  heartbeat = (
    call: ServerUnaryCall<Buffer, agentpb.HeartbeatResponse>,
    done: sendUnaryData<agentpb.HeartbeatResponse>,
  ): void => {
    const request = this.decode(call.request, agentpb.HeartbeatRequest.decode, done);
    if (!request) return;
    const auth = this.checkBodyKey(call, 'Heartbeat', request.agentKey, done);
    if (!auth) return;
    const agentTime = toEpochMs(request.timestamp, Date.now(), this.limits.maxFutureSkewMs);
    this.respond(
      this.lifecycle.publish(LifecycleKind.LIFECYCLE_KIND_HEARTBEAT, auth, {
        agentTimeMs: agentTime.ok ? String(agentTime.ms) : '0',
        peer: call.getPeer(),
      }),
      () => ({ success: true, serverTime: String(Date.now()) }),
      done,
    );
  };

  private decode<T>(bytes: Buffer, decode: (b: Buffer) => T, done: (error: Fail) => void): T | undefined {
    try {
      return decode(bytes);
    } catch (error) {
      done({ code: status.INVALID_ARGUMENT, details: `malformed request: ${(error as Error).message}` });
      return undefined;
    }
  }

  /** The interceptor checked the metadata; the body must carry the same key. */
  private checkBodyKey(
    call: ServerUnaryCall<Buffer, unknown>,
    method: string,
    bodyKey: string,
    done: (error: Fail) => void,
  ) {
    const info = { peer: call.getPeer(), method: `/containeragent.AgentService/${method}` };
    return this.auth.identify(info, call.metadata, bodyKey, done)?.principal;
  }

  private registerProblem(request: agentpb.RegisterRequest): string | undefined {
    const { maxStringBytes, maxListItems } = this.limits;
    if (Buffer.byteLength(request.agentName) > maxStringBytes)
      return `agent_name is longer than ${maxStringBytes} bytes`;
    if (request.hosts.length > maxListItems) return `more than ${maxListItems} hosts`;
    const tooLong = request.hosts.find(
      (h) => Buffer.byteLength(h.name) + Buffer.byteLength(h.addr) > maxStringBytes,
    );
    return tooLong ? `a host name or address is longer than ${maxStringBytes} bytes` : undefined;
  }

  private respond<T>(published: Promise<void>, response: () => T, done: sendUnaryData<T>): void {
    published.then(
      () => done(null, response()),
      (error: Error) => {
        this.logger.warn({ err: error }, 'lifecycle event not stored; asking the agent to retry');
        const retriable = error instanceof PublishError;
        done({
          code: retriable ? status.UNAVAILABLE : status.INTERNAL,
          details: `not stored, retry: ${error.message}`,
        });
      },
    );
  }
}
