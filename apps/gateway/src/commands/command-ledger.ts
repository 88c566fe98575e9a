import { commandspb } from '@app/contracts';
import { Observation, outcomeOf } from './command-outcome';

const { CommandAction, CommandStatus } = commandspb;
const SENDABLE = new Set([
  CommandAction.COMMAND_ACTION_START,
  CommandAction.COMMAND_ACTION_STOP,
  CommandAction.COMMAND_ACTION_RESTART,
]);

export interface LedgerTimings {
  /** A delivered command without a decisive event for this long is timed out. */
  outcomeTimeoutMs: number;
  /** A stream whose presence was not refreshed for this long is no longer a delivery target. */
  presenceStaleMs: number;
  /** A dispatch to a stream that went away without confirming or returning it fails after this long. */
  dispatchConfirmMs: number;
  /** START: how long after `start` the container must stay up to count as started. */
  startSettleMs: number;
}

interface StreamState {
  /** The tenant of the key the stream authenticated with: a command only goes to its own tenant's stream. */
  tenantId: string;
  gatewayId: string;
  openedAtMs: number;
  /** Log offset of its latest presence record (what a rebuild must read from). */
  offset: bigint;
  refreshedAtMs: number;
}

type Phase = 'pending' | 'dispatched' | 'delivered';

interface CommandState {
  request: commandspb.CommandRequest;
  offset: bigint;
  phase: Phase;
  /** dispatched / delivered: the stream it went to, and when. */
  streamId?: string;
  /** dispatched: the offset of the presence record that made its stream open (a rebuild must read it). */
  presenceOffset?: bigint;
  dispatchedAtMs?: number;
  deliveredAtMs?: number;
  /** Streams told to watch for the outcome (the delivery stream included). */
  watchedBy: Set<string>;
  observed: Observation[];
}

/** A decision of the partition's owner, written to the log (and the status topic) in one transaction. */
export type Decision =
  | {
      kind: 'dispatch';
      key: string;
      request: commandspb.CommandRequest;
      streamId: string;
      gatewayId: string;
      watchOnly: boolean;
    }
  | {
      kind: 'conclude';
      key: string;
      request: commandspb.CommandRequest;
      status: commandspb.CommandStatus;
      detail: string;
    };

/**
 * The state of one partition of the command log, folded from its records in log order, and the
 * decisions it calls for. Pure: no I/O, no clock of its own. The owner changes this state only by
 * folding what it reads back from the log, never by deciding, so that a rebuild from the log (after
 * a restart or a rebalance) reaches exactly the state the previous owner had.
 *
 * Rules that make a command reach a stream at most once:
 * - a dispatch counts only if, at its place in the log, the command is pending and the stream is
 *   open (a dispatch decided before a stream_closed but written after it is void: the holder, which
 *   wrote that stream_closed, will not write to a stream it closed);
 * - once a dispatch counts, the command leaves `pending` for good unless the holder returns it (the
 *   holder returns only what it did not write).
 */
export class CommandLedger {
  private readonly commands = new Map<string, CommandState>();
  /** agent_id → open streams. */
  private readonly streams = new Map<string, Map<string, StreamState>>();
  private nextOffset = -1n;
  /** The tenant and gateway ids of the last presence: most repeat, and are then kept once, not per stream. */
  private lastTenantId = '';
  private lastGatewayId = '';

  constructor(private readonly timings: LedgerTimings) {}

  get size(): { commands: number; agents: number } {
    return { commands: this.commands.size, agents: this.streams.size };
  }

  fold(record: commandspb.CommandLogRecord, offset: bigint): void {
    this.nextOffset = offset + 1n;
    const at = Number(record.atMs);
    const agentId = record.agentId;
    if (record.requested) {
      const id = record.requested.commandId;
      if (!this.commands.has(id)) {
        this.commands.set(id, {
          request: record.requested,
          offset,
          phase: 'pending',
          watchedBy: new Set(),
          observed: [],
        });
      }
    } else if (record.streamOpened) {
      const p = record.streamOpened;
      const agent = this.streams.get(agentId) ?? new Map<string, StreamState>();
      this.streams.set(agentId, agent);
      if (record.tenantId !== this.lastTenantId) this.lastTenantId = record.tenantId;
      if (p.gatewayId !== this.lastGatewayId) this.lastGatewayId = p.gatewayId;
      agent.set(p.streamId, {
        tenantId: this.lastTenantId,
        gatewayId: this.lastGatewayId,
        openedAtMs: Number(p.openedAtMs),
        offset,
        refreshedAtMs: at,
      });
    } else if (record.streamClosed) {
      this.closeStream(agentId, record.streamClosed.streamId);
    } else if (record.dispatched) {
      this.foldDispatch(agentId, record.dispatched, at);
    } else if (record.returned) {
      const c = this.commands.get(record.returned.commandId);
      this.closeStream(agentId, record.returned.streamId);
      if (c?.phase === 'dispatched' && c.streamId === record.returned.streamId) {
        c.phase = 'pending';
        c.streamId = undefined;
      }
    } else if (record.delivered) {
      // A holder writes `delivered` only for what it wrote to its stream: whatever this ledger
      // made of the dispatch, the command is on that stream now and must never be sent again.
      const c = this.commands.get(record.delivered.commandId);
      if (c && c.phase !== 'delivered') {
        c.phase = 'delivered';
        c.streamId = record.delivered.streamId;
        c.deliveredAtMs = at;
        c.watchedBy.add(record.delivered.streamId);
      }
    } else if (record.observed) {
      const c = this.commands.get(record.observed.commandId);
      if (c?.phase === 'delivered') {
        c.observed.push({ action: record.observed.action, exitCode: record.observed.exitCode, seenAtMs: at });
      }
    } else if (record.concluded) {
      this.commands.delete(record.concluded.commandId);
    }
  }

  /**
   * What to do now. `busy` holds the keys of decisions written but not read back yet: at most one
   * dispatch or conclusion per command is in flight, so an expiry never races a dispatch.
   */
  decide(nowMs: number, busy: ReadonlySet<string>): Decision[] {
    const decisions: Decision[] = [];
    const push = (d: Decision) => {
      if (!busy.has(d.key)) decisions.push(d);
    };
    for (const [id, c] of this.commands) {
      if (busy.has(commandKey(id))) continue; // one dispatch or conclusion of a command in flight at a time
      const target = this.targetOf(c.request, nowMs);
      if (c.phase === 'pending') {
        if (!SENDABLE.has(c.request.action)) {
          push(
            conclude(
              c,
              CommandStatus.COMMAND_STATUS_FAILED,
              `action ${c.request.action} cannot be sent to an agent`,
            ),
          );
        } else if (Number(c.request.expiresAtMs) <= nowMs) {
          push(conclude(c, CommandStatus.COMMAND_STATUS_EXPIRED, 'not delivered before it expired'));
        } else if (target) {
          push({ kind: 'dispatch', key: commandKey(id), request: c.request, ...target, watchOnly: false });
        }
      } else if (c.phase === 'dispatched') {
        const stillThere = target?.streamId === c.streamId;
        if (!stillThere && nowMs - c.dispatchedAtMs! >= this.timings.dispatchConfirmMs) {
          push(
            conclude(
              c,
              CommandStatus.COMMAND_STATUS_FAILED,
              'the gateway holding the stream went away before confirming delivery; not sent again (at most once)',
            ),
          );
        }
      } else {
        this.decideOutcome(c, nowMs, target, push);
      }
    }
    return decisions;
  }

  /** Where a rebuild must start reading so that it ends in this state: the oldest record still needed. */
  neededOffset(nowMs: number): bigint {
    let needed = this.nextOffset;
    for (const c of this.commands.values()) {
      if (c.offset < needed) needed = c.offset;
      // An unconfirmed dispatch counts on a rebuild only if its stream is seen open before it.
      if (c.phase === 'dispatched' && c.presenceOffset !== undefined && c.presenceOffset < needed) {
        needed = c.presenceOffset;
      }
    }
    for (const [agentId, agent] of this.streams) {
      for (const [streamId, s] of agent) {
        if (nowMs - s.refreshedAtMs > this.timings.presenceStaleMs * 2) {
          agent.delete(streamId); // its gateway is gone: no refresh for two stale periods
          continue;
        }
        if (s.offset < needed) needed = s.offset;
      }
      if (agent.size === 0) this.streams.delete(agentId);
    }
    return needed;
  }

  private decideOutcome(
    c: CommandState,
    nowMs: number,
    target: { streamId: string; gatewayId: string } | undefined,
    push: (d: Decision) => void,
  ): void {
    const outcome = outcomeOf(c.request.action, c.observed, this.timings.startSettleMs);
    if (outcome && 'status' in outcome) return push(conclude(c, outcome.status, outcome.detail));
    if (outcome && nowMs >= outcome.waitUntilMs) {
      return push(conclude(c, CommandStatus.COMMAND_STATUS_SUCCEEDED, 'container started and stayed up'));
    }
    if (nowMs - c.deliveredAtMs! >= this.timings.outcomeTimeoutMs) {
      return push(
        conclude(
          c,
          CommandStatus.COMMAND_STATUS_TIMED_OUT,
          `no container event showed the outcome within ${this.timings.outcomeTimeoutMs} ms of delivery`,
        ),
      );
    }
    if (target && !c.watchedBy.has(target.streamId)) {
      push({
        kind: 'dispatch',
        key: watchKey(c.request.commandId, target.streamId),
        request: c.request,
        ...target,
        watchOnly: true,
      });
    }
  }

  private foldDispatch(agentId: string, d: commandspb.CommandDispatch, at: number): void {
    const c = this.commands.get(d.command?.commandId ?? '');
    if (!c || !this.streams.get(agentId)?.has(d.streamId)) return; // void: unknown command, or stream not open here
    if (d.watchOnly) {
      if (c.phase === 'delivered') c.watchedBy.add(d.streamId);
      return;
    }
    if (c.phase !== 'pending') return; // a second dispatch never counts
    c.phase = 'dispatched';
    c.streamId = d.streamId;
    c.presenceOffset = this.streams.get(agentId)!.get(d.streamId)!.offset;
    c.dispatchedAtMs = at;
    c.watchedBy.add(d.streamId);
  }

  private closeStream(agentId: string, streamId: string): void {
    const agent = this.streams.get(agentId);
    agent?.delete(streamId);
    if (agent?.size === 0) this.streams.delete(agentId);
  }

  /** The agent's newest open stream of the command's tenant whose presence is fresh. */
  private targetOf(
    request: commandspb.CommandRequest,
    nowMs: number,
  ): { streamId: string; gatewayId: string } | undefined {
    let best: [string, StreamState] | undefined;
    for (const entry of this.streams.get(request.agentId) ?? []) {
      const s = entry[1];
      if (s.tenantId !== request.tenantId || nowMs - s.refreshedAtMs > this.timings.presenceStaleMs) continue;
      if (!best || s.openedAtMs > best[1].openedAtMs) best = entry;
    }
    return best && { streamId: best[0], gatewayId: best[1].gatewayId };
  }
}

/** The busy key of a command's dispatch or conclusion; a watch has its own, per stream. */
export function commandKey(commandId: string): string {
  return `cmd:${commandId}`;
}

export function watchKey(commandId: string, streamId: string): string {
  return `watch:${commandId}:${streamId}`;
}

function conclude(c: CommandState, status: commandspb.CommandStatus, detail: string): Decision {
  return { kind: 'conclude', key: commandKey(c.request.commandId), request: c.request, status, detail };
}
