import type { EngineInput } from './engine.types';

/** What every rule evaluator shares within one partition. */
export interface RuleContext {
  readonly maxLatenessMs: number;
  readonly budget: SeriesBudget;
  /** Reports a run-time failure of a rule; never throws. */
  ruleError(ruleName: string, error: string): void;
  /** Reports an input too late for its series; once per input however many rules saw it. */
  late(input: EngineInput): void;
}

export const DEFAULT_MAX_SERIES = 200_000;

/**
 * The cap on what a partition tracks (rule series, agents, containers). Past it, new series are
 * not tracked (counted through the hook) rather than growing memory without bound; existing
 * series keep working, and series freed by the idle sweep make room again.
 */
export class SeriesBudget {
  private used = 0;

  constructor(
    private readonly max: number,
    private readonly capped: (ruleName: string) => void,
  ) {}

  acquire(ruleName: string): boolean {
    if (this.used >= this.max) {
      this.capped(ruleName);
      return false;
    }
    this.used += 1;
    return true;
  }

  release(count = 1): void {
    this.used = Math.max(0, this.used - count);
  }

  get size(): number {
    return this.used;
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Memory bound: state unseen for twice the rule's longest window, and at least an hour, is dropped. */
export const MIN_IDLE_MS = 3_600_000;
