import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { AppLogger } from '@app/observability';
import { RestartPolicy, RestartPolicyOptions } from '../supervision/restart-policy';

/**
 * kafkajs restarts a consumer by itself after a retriable crash. After any other crash it has
 * disconnected the consumer and stops for good; this connects and runs it again with back-off,
 * and gives up (the projector exits non-zero for its process manager) only after more failures
 * within the window than the policy allows.
 */
export const CRASH_RECOVERY_POLICY: RestartPolicyOptions = {
  minDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRestarts: 20,
  windowMs: 10 * 60_000,
};

export class CrashRecovery {
  private readonly policy: RestartPolicy;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly consumer: Pick<Consumer, 'connect' | 'run'>,
    private readonly runConfig: () => ConsumerRunConfig,
    private readonly name: string,
    private readonly logger: AppLogger,
    private readonly onFatal: (error: Error) => void,
    policy: RestartPolicyOptions = CRASH_RECOVERY_POLICY,
  ) {
    this.policy = new RestartPolicy(policy);
  }

  /** The consumer's CRASH event. */
  crashed(error: Error, restarting: boolean): void {
    this.logger.warn(
      { projection: this.name, err: error.message, restart: restarting },
      'Kafka consumer crashed',
    );
    if (!restarting && !this.stopped) this.schedule(error);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(error: Error): void {
    const decision = this.policy.onCrash();
    if (!decision.restart) {
      this.onFatal(
        new Error(`${this.name} consumer could not rejoin (${decision.crashes} failures): ${error.message}`),
      );
      return;
    }
    this.logger.warn({ projection: this.name, ...decision }, 'rejoining the consumer group');
    this.timer = setTimeout(() => {
      this.rejoin().catch((e: Error) => this.schedule(e));
    }, decision.delayMs);
  }

  /** A failure of `run` itself is reported as another crash (kafkajs' runner catches it). */
  private async rejoin(): Promise<void> {
    if (this.stopped) return;
    await this.consumer.connect();
    await this.consumer.run(this.runConfig());
  }
}
