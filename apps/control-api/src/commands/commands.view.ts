import { commandspb } from '@app/contracts';
import type { FollowedRecord } from '@app/kafka';
import { CommandState, foldTransition, wasNotQueued } from './command-fold';
import { compareNewestFirst, CommandPosition } from './command-cursor';
import type { PriorRequest } from './idempotency';

export interface CommandsViewOptions {
  /** A command is forgotten this long after its terminal status, or after its expiry if it has none. */
  retentionMs: number;
  /** How often, at most, a read or a record triggers the sweep of forgotten commands. */
  sweepIntervalMs?: number;
  now?: () => number;
}

export interface CommandFilter {
  /** undefined: every tenant. */
  tenant: string | undefined;
  agentId?: string;
  status?: commandspb.CommandStatus;
}

const positionOf = (s: CommandState): CommandPosition => ({
  requestedAtMs: Number(s.request.requestedAtMs),
  commandId: s.request.commandId,
});

/**
 * The command-status topic folded per command id (see foldTransition), in memory, rebuilt from
 * the topic's start at every boot; the API's own PENDING (or not-queued EXPIRED) records are
 * applied as soon as Kafka acknowledged them, so the follower's copy of them changes nothing.
 *
 * Also the index of Idempotency-Keys: (tenant of the command, key) → the command that first came
 * with it, and its request hash, taken from the requests the records carry. A command that was
 * never queued (EXPIRED "not queued: …") gives its key back, so a retry after a 503 can succeed.
 *
 * Memory bound: a command is dropped `retentionMs` after its terminal status, or, if it never
 * gets one, `retentionMs` after its expiry (nobody will conclude it any more). Its key goes with it.
 */
export class CommandsView {
  private readonly commands = new Map<string, CommandState>();
  private readonly keys = new Map<string, string>();
  private sorted: CommandState[] | undefined;
  private lastSweepMs = 0;
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;

  constructor(private readonly options: CommandsViewOptions) {
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? Math.min(60_000, options.retentionMs);
  }

  /** A record of the command-status topic. */
  applyRecord(record: FollowedRecord): void {
    if (record.message.value) this.apply(commandspb.CommandStatusChanged.decode(record.message.value));
  }

  /** Folds one transition in; returns whether it changed anything. */
  apply(event: commandspb.CommandStatusChanged): boolean {
    const now = this.now();
    this.maybeSweep(now);
    const known = this.commands.get(event.commandId);
    const { state, changed } = foldTransition(known, event);
    if (!state || !changed) return false;
    if (!known) {
      this.commands.set(event.commandId, state);
      this.sorted = undefined;
      const key = this.keyOf(state);
      if (key !== undefined && !this.keys.has(key)) this.keys.set(key, event.commandId);
    }
    if (wasNotQueued(state)) this.releaseKey(state);
    if (this.outlived(state, now)) this.drop(state);
    return true;
  }

  get(commandId: string): CommandState | undefined {
    this.maybeSweep(this.now());
    return this.commands.get(commandId);
  }

  /** The command an Idempotency-Key of a tenant was first used for. */
  prior(tenant: string, idempotencyKey: string): PriorRequest | undefined {
    const id = this.keys.get(`${tenant}\n${idempotencyKey}`);
    const state = id === undefined ? undefined : this.commands.get(id);
    return state && { commandId: id!, requestHash: state.request.requestHash };
  }

  /** A page, newest request first, after `after` (a position from an earlier page). */
  page(
    filter: CommandFilter,
    limit: number,
    after?: CommandPosition,
  ): { items: CommandState[]; next?: CommandPosition } {
    this.maybeSweep(this.now());
    this.sorted ??= [...this.commands.values()].sort((a, b) =>
      compareNewestFirst(positionOf(a), positionOf(b)),
    );
    const sorted = this.sorted;
    let start = 0;
    if (after) {
      // First index listed after `after`.
      let hi = sorted.length;
      while (start < hi) {
        const mid = (start + hi) >>> 1;
        if (compareNewestFirst(positionOf(sorted[mid]), after) <= 0) start = mid + 1;
        else hi = mid;
      }
    }
    const items: CommandState[] = [];
    for (let i = start; i < sorted.length; i++) {
      const s = sorted[i];
      if (filter.tenant !== undefined && s.request.tenantId !== filter.tenant) continue;
      if (filter.agentId !== undefined && s.request.agentId !== filter.agentId) continue;
      if (filter.status !== undefined && s.status !== filter.status) continue;
      if (items.length === limit) return { items, next: positionOf(items[items.length - 1]) };
      items.push(s);
    }
    return { items };
  }

  get size(): number {
    return this.commands.size;
  }

  /** Drops what has outlived the retention; runs at most once per sweep interval. */
  sweep(now = this.now()): void {
    this.lastSweepMs = now;
    for (const state of this.commands.values()) if (this.outlived(state, now)) this.drop(state);
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweepMs >= this.sweepIntervalMs) this.sweep(now);
  }

  private outlived(state: CommandState, now: number): boolean {
    const since = state.terminalAtMs ?? Number(state.request.expiresAtMs);
    return since < now - this.options.retentionMs;
  }

  private drop(state: CommandState): void {
    this.commands.delete(state.request.commandId);
    this.releaseKey(state);
    this.sorted = undefined;
  }

  private keyOf(state: CommandState): string | undefined {
    const { tenantId, idempotencyKey } = state.request;
    return idempotencyKey ? `${tenantId}\n${idempotencyKey}` : undefined;
  }

  private releaseKey(state: CommandState): void {
    const key = this.keyOf(state);
    if (key !== undefined && this.keys.get(key) === state.request.commandId) this.keys.delete(key);
  }
}
