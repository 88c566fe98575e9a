import type { PublishFailure } from '@app/kafka';
import type { ReadinessResult } from '@app/observability';

/** What readiness reads from the publisher (a BatchingProducer). */
export interface PublishOutcomes {
  /** When Kafka last acknowledged a batch (epoch ms, 0 = never). */
  readonly lastAckAt: number;
  readonly lastFailure: PublishFailure | undefined;
}

export interface PublishReadinessOptions {
  /** How often to look; a probe runs when failing, or when no batch was acknowledged for this long. */
  probeIntervalMs: number;
  /** A probe not answered within this time failed. */
  probeTimeoutMs: number;
}

/**
 * Whether the gateway can publish right now, for `/readyz`: not while the producer is
 * disconnected, nor while the latest publish failure (a refused or unacknowledged batch, records
 * expired in the queue, a full buffer) is newer than the latest success. Traffic alone cannot end
 * an outage once every stream failed and agents stay away, so a cheap probe (the topics' partition
 * leaders answering) runs while failing, and while idle so that an idle gateway notices a dead
 * broker too. A probe's success counts from when it started: a failure seen during it wins.
 * The probe speaks for the brokers, not for our producer's connection: if that one still fails,
 * the next failed batch makes readiness 503 again.
 */
export class PublishReadiness {
  private connected = false;
  private probedOkAt = 0;
  private probeFailure: PublishFailure | undefined;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly outcomes: PublishOutcomes,
    private readonly probe: () => Promise<void>,
    private readonly options: PublishReadinessOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Follows the producer's connect and disconnect events. */
  setConnected(connected: boolean): void {
    this.connected = connected;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.maybeProbe(), this.options.probeIntervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  check(): ReadinessResult {
    if (!this.connected) return { ready: false, detail: 'Kafka producer not connected' };
    const failure = this.latestFailure();
    if (failure && failure.at >= this.lastOkAt()) {
      return {
        ready: false,
        detail: `cannot publish to Kafka since ${new Date(failure.at).toISOString()} (${failure.reason}): ${failure.message}`,
      };
    }
    return { ready: true };
  }

  /** One probe at a time, only when traffic tells nothing: while failing, or idle. */
  async maybeProbe(): Promise<void> {
    if (this.probing || !this.connected) return;
    const startedAt = this.now();
    if (this.check().ready && startedAt - this.outcomes.lastAckAt < this.options.probeIntervalMs) return;
    this.probing = true;
    try {
      await withTimeout(this.probe(), this.options.probeTimeoutMs);
      this.probedOkAt = startedAt;
    } catch (error) {
      this.probeFailure = { at: this.now(), reason: 'kafka', message: `probe: ${(error as Error).message}` };
    } finally {
      this.probing = false;
    }
  }

  private lastOkAt(): number {
    return Math.max(this.outcomes.lastAckAt, this.probedOkAt);
  }

  private latestFailure(): PublishFailure | undefined {
    const a = this.outcomes.lastFailure;
    const b = this.probeFailure;
    if (!a || !b) return a ?? b;
    return a.at >= b.at ? a : b;
  }
}

function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
