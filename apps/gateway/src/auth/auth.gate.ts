import { Metadata, status } from '@grpc/grpc-js';
import type { AppLogger, Metrics } from '@app/observability';
import { FailureThrottle, RateLimiter, throttleKeyOf } from '@app/security';
import type { AuthFailure } from './auth-result';
import { authenticate } from './auth.interceptor';
import { AuthMetrics, authMetrics } from './auth.metrics';
import type { AgentPrincipal, KeyRegistry } from './key-registry';

/** The one answer to every failed authentication: the caller learns nothing about why. */
export const AUTH_FAILED_DETAILS = 'invalid or missing agent key';
export const REFUSAL = { code: status.UNAUTHENTICATED, details: AUTH_FAILED_DETAILS } as const;
export type Refusal = typeof REFUSAL;

export interface CallInfo {
  /** As grpc-js reports it (`address:port`). */
  peer: string;
  method: string;
}

export interface AuthGateSettings {
  /** How long a throttled peer waits for its refusal. */
  throttledDelayMs: number;
  /** Refusals waiting out that delay at once; beyond it they are answered at once, so memory stays bounded. */
  maxDelayedAnswers: number;
  /** Failure log lines per `logIntervalMs`; the rest are counted and the count goes on the next line. */
  logMaxLines: number;
  logIntervalMs: number;
}

export const DEFAULT_LOG_LIMIT = { logMaxLines: 20, logIntervalMs: 10_000 };

/**
 * Authentication with the defences around it. A peer address (IPv4, or IPv6 /64) that fails too
 * often is throttled: its calls are refused without looking at their key, and only after a
 * delay, so guessing costs time; other addresses are not affected. Every refusal looks the same
 * to the caller; the reason goes to a rate-limited log with the peer address, never the key.
 */
export class AuthGate {
  /** Throttled refusals waiting out their delay, with the answer each one is owed. */
  private readonly delayed = new Map<NodeJS.Timeout, () => void>();
  private readonly log: RateLimiter;
  private readonly metrics: AuthMetrics;

  constructor(
    private readonly registry: KeyRegistry,
    private readonly throttle: FailureThrottle,
    private readonly logger: AppLogger,
    metrics: Metrics,
    private readonly settings: AuthGateSettings,
  ) {
    this.log = new RateLimiter(settings.logMaxLines, settings.logIntervalMs);
    this.metrics = authMetrics(metrics, {
      trackedPeers: () => this.throttle.size,
      delayedAnswers: () => this.delayed.size,
    });
  }

  /**
   * The interceptor's check, before any handler runs. True lets the call go on; otherwise
   * `refuse` has been called, or will be once a throttled peer's delay is over.
   */
  admit(call: CallInfo, metadata: Metadata, refuse: (refusal: Refusal) => void): boolean {
    const peerKey = throttleKeyOf(call.peer);
    if (this.throttle.isThrottled(peerKey)) {
      this.metrics.throttled.inc();
      this.metrics.refused.inc({ method: call.method });
      this.note(call, { reason: 'throttled', detail: 'too many failed attempts from this address' });
      this.answerLater(() => refuse(REFUSAL));
      return false;
    }
    const result = authenticate(this.registry, metadata);
    if (result.ok) return true;
    this.fail(call, result);
    refuse(REFUSAL);
    return false;
  }

  /**
   * For handlers: who made a call that admit() let through. Register and Heartbeat pass the key
   * of their body, which must be the metadata's. Undefined means `refuse` was called.
   */
  identify(
    call: CallInfo,
    metadata: Metadata,
    bodyKey: string | undefined,
    refuse: (refusal: Refusal) => void,
  ): { principal: AgentPrincipal; agentKey: string } | undefined {
    const result = authenticate(this.registry, metadata);
    if (!result.ok) {
      this.fail(call, result);
    } else if (bodyKey !== undefined && bodyKey !== result.agentKey) {
      this.fail(call, {
        reason: 'body_key_mismatch',
        detail: 'agent_key in the request differs from the authorization metadata',
        keyId: result.principal.keyId,
      });
    } else {
      return { principal: result.principal, agentKey: result.agentKey };
    }
    refuse(REFUSAL);
    return undefined;
  }

  /** Answers every delayed refusal now, so that shutdown need not wait for them. */
  flush(): void {
    for (const [timer, answer] of this.delayed) {
      clearTimeout(timer);
      this.delayed.delete(timer);
      answer();
    }
  }

  private fail(call: CallInfo, failure: AuthFailure): void {
    this.throttle.recordFailure(throttleKeyOf(call.peer));
    this.metrics.failures.inc({ reason: failure.reason });
    this.metrics.refused.inc({ method: call.method });
    this.note(call, failure);
  }

  private note(call: CallInfo, failure: AuthFailure | { reason: 'throttled'; detail: string }): void {
    const decision = this.log.take();
    if (!decision.allowed) return;
    const { reason, detail } = failure;
    const keyId = 'keyId' in failure && failure.keyId ? { keyId: failure.keyId } : {};
    const suppressed = decision.suppressed > 0 ? { suppressedSinceLastLine: decision.suppressed } : {};
    this.logger.warn(
      { peer: call.peer, method: call.method, reason, detail, ...keyId, ...suppressed },
      'call refused: unauthenticated',
    );
  }

  private answerLater(answer: () => void): void {
    if (this.delayed.size >= this.settings.maxDelayedAnswers) return answer();
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      answer();
    }, this.settings.throttledDelayMs);
    timer.unref();
    this.delayed.set(timer, answer);
  }
}
