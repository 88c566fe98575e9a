import type { ReadinessResult } from '@app/observability';

/** The ClickHouse worker process, as its client sees it. */
export type EngineState = 'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'closed';

export interface InsertFailures {
  projection: string;
  /** Start of the current run of failed inserts (epoch ms); undefined after a success. */
  since: number | undefined;
  lastError?: string;
}

export interface ReadinessInputs {
  /** Schema applied, topics present, every consumer group joined. */
  started: boolean;
  engine: { state: EngineState; detail?: string };
  inserts: InsertFailures[];
}

/**
 * Ready means the projector stores what it reads and can answer /sql: its ClickHouse process is
 * up, and no projection's inserts have kept failing for longer than `maxFailingMs` (a full disk,
 * a missing table). A single failed insert is retried and does not count; Kafka being away does
 * not either (there is nothing to store then, and /sql still answers).
 */
export class ProjectorReadiness {
  constructor(
    private readonly maxFailingMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  check({ started, engine, inserts }: ReadinessInputs): ReadinessResult {
    if (engine.state !== 'running') {
      return {
        ready: false,
        detail: `ClickHouse engine ${engine.state}${engine.detail ? `: ${engine.detail}` : ''}`,
      };
    }
    if (!started) return { ready: false, detail: 'schema or Kafka not ready yet' };
    const now = this.now();
    const failing = inserts.filter((i) => i.since !== undefined && now - i.since > this.maxFailingMs);
    if (failing.length === 0) return { ready: true };
    const detail = failing
      .map(
        (i) =>
          `${i.projection} inserts failing for ${Math.round((now - i.since!) / 1000)} s: ${i.lastError ?? ''}`,
      )
      .join('; ');
    return { ready: false, detail };
  }
}
