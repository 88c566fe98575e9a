import type { RuleDefinition } from '@app/alerting';
import { alertspb } from '@app/contracts';
import { AlertChange, EngineInput, EngineRule, PartitionEngine } from '../engine';
import type { KnownAlert } from './alert-log';

const { AlertState } = alertspb;
const STATE_NAME: Record<number, AlertChange['state']> = {
  [AlertState.ALERT_STATE_PENDING]: 'pending',
  [AlertState.ALERT_STATE_FIRING]: 'firing',
  [AlertState.ALERT_STATE_RESOLVED]: 'resolved',
};

export interface WorkerHooks {
  ruleError(rule: string, error: string): void;
  late(): void;
  seriesCapped(): void;
}

/**
 * One input partition number of this instance (partition N of events, stats, list and lifecycle
 * together). After an assignment it first *rebuilds*: the inputs of the last
 * ALERTER_REBUILD_LOOKBACK_MS are fed to a fresh engine with nothing emitted, up to where the
 * topics ended at the assignment. Then it *reconciles* the rebuilt alerts with the alerts topic
 * (what was already decided and notified), and from there on every change goes out.
 */
export class PartitionWorker {
  readonly engine: PartitionEngine;
  /** Per topic: the next offset to take, and where the topic ended at the assignment. */
  private readonly replay = new Map<string, { next: bigint; end: bigint; reached: boolean }>();
  private live = false;
  /**
   * Alerts known to fire that the rebuild could not recompute (agents or containers silent for
   * longer than the lookback): they stay firing until their agent or container is heard of again.
   */
  private readonly orphans = new Map<string, alertspb.AlertTransition>();

  constructor(
    readonly partition: number,
    rules: () => EngineRule[],
    maxLatenessMs: number,
    hooks: WorkerHooks,
  ) {
    this.engine = new PartitionEngine(
      rules,
      { maxLatenessMs },
      { ruleError: hooks.ruleError, late: hooks.late },
    );
  }

  get isLive(): boolean {
    return this.live;
  }

  expect(topic: string, from: bigint, end: bigint): void {
    this.replay.set(topic, { next: from, end, reached: from >= end });
  }

  /**
   * The messages of a batch this worker takes: exactly the next ones in offset order. Until the
   * seek to the rebuild's start applies, batches fetched from elsewhere arrive: ahead of `next` (a
   * gap: skipped, `gapAt` says where to seek) or behind it (already taken: dropped).
   */
  take<M extends { offset: string }>(topic: string, messages: M[]): { messages: M[]; gapAt?: bigint } {
    const r = this.replay.get(topic);
    if (!r || messages.length === 0) return { messages: [] };
    if (BigInt(messages[0].offset) > r.next) return { messages: [], gapAt: r.next };
    const taken = messages.filter((m) => BigInt(m.offset) >= r.next);
    if (taken.length > 0) r.next = BigInt(taken[taken.length - 1].offset) + 1n;
    return { messages: taken };
  }

  /** Inputs of one batch; returns the changes to emit (none while rebuilding). */
  ingest(topic: string, inputs: EngineInput[]): AlertChange[] {
    const changes: AlertChange[] = [];
    for (const input of inputs) {
      changes.push(...this.engine.ingest(input));
      if (this.orphans.size > 0) changes.push(...this.resolveOrphans(input));
    }
    const r = this.replay.get(topic);
    if (r && !r.reached && r.next >= r.end) r.reached = true;
    return this.live ? changes : [];
  }

  /** True once every topic was read to where it ended at the assignment (then `reconcile`). */
  rebuilt(): boolean {
    return !this.live && [...this.replay.values()].every((r) => r.reached);
  }

  /**
   * The rebuilt state against what the alerts topic says (`known`: this partition's alerts not
   * resolved). Returns the changes to emit, and the known alerts that stay as they are.
   */
  reconcile(
    known: KnownAlert[],
    ruleOf: (name: string) => RuleDefinition | undefined,
    nowMs: number,
  ): { emit: AlertChange[]; unchanged: string[] } {
    this.live = true;
    // The quiet periods and absences as of now, so that an alert the rebuild saw fire long ago
    // and end since is not taken as firing.
    this.engine.tick(nowMs);
    const emit: AlertChange[] = [];
    const unchanged: string[] = [];
    const computed = new Map(this.engine.alerts().map((a) => [a.fingerprint, a]));
    const byFingerprint = new Map(known.map((k) => [k.transition.fingerprint, k]));
    for (const [fingerprint, change] of computed) {
      const k = byFingerprint.get(fingerprint);
      if (k && STATE_NAME[k.transition.state] === change.state) unchanged.push(fingerprint);
      else emit.push(change);
    }
    for (const k of known) {
      const t = k.transition;
      if (computed.has(t.fingerprint)) continue;
      const source = ruleOf(t.ruleName)?.source;
      if (source === 'agents' || source === 'containers') {
        this.orphans.set(t.fingerprint, t);
        unchanged.push(t.fingerprint);
      } else {
        emit.push(resolvedOf(t, nowMs)); // its rule is gone, or its window was read again and it no longer holds
      }
    }
    return { emit, unchanged };
  }

  tick(nowMs: number): AlertChange[] {
    const changes = this.engine.tick(nowMs);
    return this.live ? changes : [];
  }

  private resolveOrphans(input: EngineInput): AlertChange[] {
    const out: AlertChange[] = [];
    for (const [fingerprint, t] of this.orphans) {
      const heard =
        input.agentId === t.agentId &&
        (t.host === ''
          ? input.kind !== 'agent' || (input.what !== 'offline' && input.what !== 'stream_closed')
          : input.kind === 'stats' &&
            input.host === t.host &&
            input.stats.name.replace(/^\//, '') === t.containerName);
      if (heard) {
        this.orphans.delete(fingerprint);
        out.push(resolvedOf(t, input.receivedAtMs));
      }
    }
    return out;
  }
}

function resolvedOf(t: alertspb.AlertTransition, atMs: number): AlertChange {
  return {
    fingerprint: t.fingerprint,
    ruleName: t.ruleName,
    state: 'resolved',
    atMs,
    startsAtMs: Number(t.startsAtMs),
    endsAtMs: atMs,
    labels: t.labels,
    annotations: t.annotations,
    tenantId: t.tenantId,
    agentId: t.agentId,
    host: t.host,
    containerId: t.containerId,
    containerName: t.containerName,
    value: t.value,
  };
}
