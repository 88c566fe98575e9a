import { commandspb } from '@app/contracts';

const { CommandAction, CommandStatus } = commandspb;

/** A container event seen on the agent's stream after the command was written to it. */
export interface Observation {
  action: string;
  exitCode: string;
  /** When the holder saw it (gateway clock, epoch ms). */
  seenAtMs: number;
}

export type Outcome =
  { status: commandspb.CommandStatus; detail: string } | { waitUntilMs: number } | undefined;

/** Exit codes of a container that was stopped on purpose (SIGTERM, SIGKILL) or ended cleanly. */
const CLEAN_EXIT = new Set(['', '0', '137', '143']);

/**
 * What the container's own events say about a delivered command (the seed protocol has no command
 * reply):
 * - START → `start`, and no `die` within `settleMs` after it (a container that crashes at once did
 *   not start); a `die` with an error before or within that → failed;
 * - STOP → `die` or `stop`;
 * - RESTART → `restart`, or `die` then `start`.
 * `undefined`: nothing decisive yet; `waitUntilMs`: decisive once that time passes quietly.
 */
export function outcomeOf(
  action: commandspb.CommandAction,
  observed: readonly Observation[],
  settleMs: number,
): Outcome {
  switch (action) {
    case CommandAction.COMMAND_ACTION_START:
      return startOutcome(observed, settleMs);
    case CommandAction.COMMAND_ACTION_STOP: {
      const hit = observed.find((o) => o.action === 'die' || o.action === 'stop');
      return hit ? succeeded(`container ${describe(hit)}`) : undefined;
    }
    case CommandAction.COMMAND_ACTION_RESTART: {
      if (observed.some((o) => o.action === 'restart')) return succeeded('container restarted');
      const died = observed.findIndex((o) => o.action === 'die');
      if (died >= 0 && observed.slice(died + 1).some((o) => o.action === 'start')) {
        return succeeded('container died and started again');
      }
      return undefined;
    }
    case CommandAction.COMMAND_ACTION_UNSPECIFIED:
    case CommandAction.UNRECOGNIZED:
      return undefined;
  }
}

function startOutcome(observed: readonly Observation[], settleMs: number): Outcome {
  const started = observed.findIndex((o) => o.action === 'start');
  const failedDie = observed.find(
    (o, i) => o.action === 'die' && (started < 0 || i > started) && !CLEAN_EXIT.has(o.exitCode),
  );
  if (failedDie) {
    return {
      status: CommandStatus.COMMAND_STATUS_FAILED,
      detail: `container died with exit code ${failedDie.exitCode}${started >= 0 ? ' right after it started' : ''}`,
    };
  }
  if (started < 0) return undefined;
  const dieAfter = observed.slice(started + 1).find((o) => o.action === 'die');
  if (dieAfter) {
    return {
      status: CommandStatus.COMMAND_STATUS_FAILED,
      detail: `container stopped right after it started (${describe(dieAfter)})`,
    };
  }
  const settledAt = observed[started].seenAtMs + settleMs;
  return { waitUntilMs: settledAt };
}

function succeeded(detail: string): Outcome {
  return { status: CommandStatus.COMMAND_STATUS_SUCCEEDED, detail };
}

function describe(o: Observation): string {
  return o.action === 'die' ? `died (exit code ${o.exitCode || 'unknown'})` : `${o.action} event`;
}

/** The container events a holder reports for a command waiting for its outcome. */
export const OUTCOME_ACTIONS = new Set(['start', 'die', 'stop', 'restart']);
