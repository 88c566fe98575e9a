import type { RuleDefinition } from '@app/alerting';
import { alertspb } from '@app/contracts';
import type { AppLogger, Metrics } from '@app/observability';
import type { AlertChange } from '../engine';
import type { AlertmanagerNotifier } from '../notify/alertmanager.notifier';
import type { NotifiableAlert, Notifier } from '../notify/notifiable-alert';
import { isSilenced } from '@app/alerting';
import type { AlertLog, KnownAlert } from './alert-log';
import type { Remediation } from './remediation';
import type { SilenceStore } from './silence-store';

const { AlertState } = alertspb;
const STATE: Record<AlertChange['state'], alertspb.AlertState> = {
  pending: AlertState.ALERT_STATE_PENDING,
  firing: AlertState.ALERT_STATE_FIRING,
  resolved: AlertState.ALERT_STATE_RESOLVED,
};

export interface Channels {
  alertmanager?: AlertmanagerNotifier;
  webhook?: Notifier;
}

/**
 * What happens to an alert's change: the transition goes to the alerts topic first (the record
 * of truth), then firing and resolved are notified — Alertmanager (which keeps the teams'
 * routing, grouping, silences and inhibition, and gets firing alerts again every resend interval)
 * and/or the direct webhook (one post per transition, the control-api's silences applied; a
 * resolve is sent only for a firing that was sent) — and each notification's result is recorded
 * (AlertNotified), so a restarted instance knows what was sent. Pending is recorded, not notified.
 */
export class AlertOutput {
  private readonly pending = new Set<Promise<void>>();
  /** Per fingerprint, notifications run one after the other (a resolve never overtakes its firing). */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly transitions;

  constructor(
    private readonly log: AlertLog,
    private readonly channels: Channels,
    private readonly silences: SilenceStore,
    private readonly remediation: Remediation,
    private readonly ruleOf: (name: string) => RuleDefinition | undefined,
    private readonly logger: AppLogger,
    metrics: Metrics,
  ) {
    this.transitions = metrics.counter({
      name: 'alerter_transitions_total',
      help: 'Alert transitions written to the alerts topic, by state',
      labelNames: ['state'],
    });
  }

  /** Writes the transitions (awaited: the caller moves on once they are stored), then notifies in the background. */
  async emit(all: AlertChange[]): Promise<void> {
    // A change to the state an alert is already in (a rebuilt engine firing an alert the alerts
    // topic already has as firing, an orphan resolved twice) is no transition: nothing is written or sent.
    const changes = all.filter((c) => this.log.known.get(c.fingerprint)?.transition.state !== STATE[c.state]);
    if (changes.length === 0) return;
    const transitions = changes.map(transitionOf);
    await this.log.write(transitions.map((transition) => ({ transition })));
    for (const t of transitions) {
      this.transitions.inc({ state: alertspb.AlertState[t.state].replace('ALERT_STATE_', '').toLowerCase() });
      this.notifyInTurn(t.fingerprint, t);
    }
  }

  /** After a rebuild: an alert known to fire whose notification was not recorded is sent now. */
  ensureNotified(fingerprint: string): void {
    const t = this.log.known.get(fingerprint)?.transition;
    if (t) this.notifyInTurn(fingerprint, t);
  }

  /**
   * Each transition is notified as it was when it was decided, in order: an alert that fires and
   * resolves within one write still pages, then resolves (its current state is already resolved).
   */
  private notifyInTurn(fingerprint: string, transition: alertspb.AlertTransition): void {
    const next = (this.chains.get(fingerprint) ?? Promise.resolve()).then(() =>
      this.notify(fingerprint, transition),
    );
    // The chain's link never rejects (failures are tracked below) and forgets itself once done.
    const settled: Promise<void> = next
      .catch(() => undefined)
      .then(() => {
        if (this.chains.get(fingerprint) === settled) this.chains.delete(fingerprint);
      });
    this.chains.set(fingerprint, settled);
    this.track(next);
  }

  /** Alertmanager forgets nothing it was told, but its resend set lives in memory: refill it after a restart. */
  restoreFiring(known: KnownAlert[]): void {
    this.channels.alertmanager?.restore(known.map((k) => notifiable(k.transition)));
  }

  tick(nowMs: number, firing: Iterable<KnownAlert>): void {
    for (const k of firing) {
      this.track(
        this.remediation.consider(k.transition.fingerprint, k, this.ruleOf(k.transition.ruleName), nowMs),
      );
    }
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((error: Error) => this.logger.warn({ err: error }, 'alert notification failed'))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async notify(fingerprint: string, t: alertspb.AlertTransition): Promise<void> {
    const known = this.log.known.get(fingerprint);
    if (!known || t.state === AlertState.ALERT_STATE_PENDING) return;
    const alert = notifiable(t);
    const records: Parameters<AlertLog['write']>[0] = [];
    const amHadFiring = known.notified.get('alertmanager') === AlertState.ALERT_STATE_FIRING;
    const amSkip = t.state === AlertState.ALERT_STATE_RESOLVED && !amHadFiring;
    if (this.channels.alertmanager && !amSkip && known.notified.get('alertmanager') !== t.state) {
      const result = await this.channels.alertmanager.notify(alert);
      records.push(notified(fingerprint, 'alertmanager', t.state, result));
    }
    if (this.channels.webhook && known.notified.get('webhook') !== t.state) {
      const firingWasSent = known.notified.get('webhook') === AlertState.ALERT_STATE_FIRING;
      const silence = isSilenced(t.labels, this.silences.all(), Date.now(), t.tenantId);
      if (t.state === AlertState.ALERT_STATE_RESOLVED && !firingWasSent) {
        // nothing was paged, so there is nothing to resolve
      } else if (silence && t.state === AlertState.ALERT_STATE_FIRING) {
        records.push(
          notified(fingerprint, 'webhook', t.state, {
            ok: false,
            attempts: 0,
            detail: `silenced by ${silence.id}`,
          }),
        );
      } else {
        const result = await this.channels.webhook.notify(alert);
        records.push(notified(fingerprint, 'webhook', t.state, result));
      }
    }
    await this.log.write(records);
    if (
      t.state === AlertState.ALERT_STATE_FIRING &&
      known.transition.state === AlertState.ALERT_STATE_FIRING
    ) {
      await this.remediation.consider(fingerprint, known, this.ruleOf(t.ruleName), Date.now());
    }
  }
}

function notified(
  fingerprint: string,
  channel: string,
  state: alertspb.AlertState,
  result: { ok: boolean; attempts: number; detail: string },
): Parameters<AlertLog['write']>[0][number] {
  return {
    notified: {
      fingerprint,
      channel,
      state,
      ok: result.ok,
      attempts: result.attempts,
      detail: result.detail,
    },
  };
}

export function transitionOf(c: AlertChange): alertspb.AlertTransition {
  return alertspb.AlertTransition.fromPartial({
    fingerprint: c.fingerprint,
    ruleName: c.ruleName,
    state: STATE[c.state],
    atMs: String(c.atMs),
    startsAtMs: String(c.startsAtMs),
    endsAtMs: String(c.endsAtMs ?? 0),
    labels: c.labels,
    annotations: c.annotations,
    tenantId: c.tenantId,
    agentId: c.agentId,
    host: c.host,
    containerId: c.containerId,
    containerName: c.containerName,
    value: c.value,
  });
}

export function notifiable(t: alertspb.AlertTransition): NotifiableAlert {
  const resolved = t.state === AlertState.ALERT_STATE_RESOLVED;
  return {
    fingerprint: t.fingerprint,
    state: resolved ? 'resolved' : 'firing',
    labels: t.labels,
    annotations: t.annotations,
    startsAt: Number(t.startsAtMs),
    endsAt: resolved ? Number(t.endsAtMs || t.atMs) : undefined,
  };
}
