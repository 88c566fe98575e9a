import { commandspb } from '@app/contracts';
import { isTerminal, statusRank } from './command-status';

/** One status a command reached, as the first record of it told. */
export interface Transition {
  status: commandspb.CommandStatus;
  atMs: number;
  detail: string;
  writer: string;
  gatewayId: string;
  streamId: string;
}

/** What the command-status topic says about one command. */
export interface CommandState {
  request: commandspb.CommandRequest;
  /** The current status: the highest ranked in `history`. */
  status: commandspb.CommandStatus;
  /** One entry per status, in rank order: pending, delivered, the terminal one. */
  history: Transition[];
  /** Latest `at` of any transition. */
  updatedAtMs: number;
  /** `at` of the terminal transition, once there is one. */
  terminalAtMs?: number;
}

/** The detail of the EXPIRED record written when the command log refused a command. */
export const NOT_QUEUED = 'not queued';

/**
 * Folds one CommandStatusChanged into a command's state; returns the state (created when
 * `state` is undefined) and whether anything changed. Records may come twice or out of order:
 * a status is recorded once (its first record), the rank pending < delivered < terminal orders
 * the history and the current status (a late `pending` never downgrades), and the first
 * terminal status seen wins (a second, different one is ignored). A record without its
 * request, or with a status this build does not know, creates nothing.
 */
export function foldTransition(
  state: CommandState | undefined,
  event: commandspb.CommandStatusChanged,
): { state: CommandState | undefined; changed: boolean } {
  const rank = statusRank(event.status);
  if (rank === 0) return { state, changed: false };
  if (!state) {
    if (!event.command || event.command.commandId !== event.commandId) return { state, changed: false };
    state = { request: event.command, status: event.status, history: [], updatedAtMs: 0 };
  }
  if (state.history.some((t) => t.status === event.status)) return { state, changed: false };
  if (isTerminal(event.status) && state.terminalAtMs !== undefined) return { state, changed: false };
  const atMs = Number(event.atMs);
  state.history.push({
    status: event.status,
    atMs,
    detail: event.detail,
    writer: event.writer,
    gatewayId: event.gatewayId,
    streamId: event.streamId,
  });
  // Stable: equal ranks cannot occur (one terminal, pending and delivered once each).
  state.history.sort((a, b) => statusRank(a.status) - statusRank(b.status));
  state.status = state.history[state.history.length - 1].status;
  state.updatedAtMs = Math.max(state.updatedAtMs, atMs);
  if (isTerminal(event.status)) state.terminalAtMs = atMs;
  return { state, changed: true };
}

/** The command was never queued: its EXPIRED record says so (see CommandsService). */
export function wasNotQueued(state: CommandState): boolean {
  const last = state.history[state.history.length - 1];
  return (
    last.status === commandspb.CommandStatus.COMMAND_STATUS_EXPIRED && last.detail.startsWith(NOT_QUEUED)
  );
}
