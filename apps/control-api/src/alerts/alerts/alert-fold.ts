import { alertspb } from '@app/contracts';

const { AlertState } = alertspb;

export interface AlertNotification {
  channel: string;
  state: alertspb.AlertState;
  ok: boolean;
  attempts: number;
  detail: string;
  atMs: number;
}

export interface AlertRemediationStep {
  commandId: string;
  attempt: number;
  command: string;
}

/** What the alerts topic says about one fingerprint's current episode. */
export interface AlertEntry {
  transition: alertspb.AlertTransition;
  atMs: number;
  startsAtMs: number;
  /** The latest per channel and state. */
  notifications: Map<string, AlertNotification>;
  /** Per command id, in the order sent. */
  remediation: Map<string, AlertRemediationStep>;
}

export const isKnownState = (s: alertspb.AlertState): boolean =>
  s === AlertState.ALERT_STATE_PENDING ||
  s === AlertState.ALERT_STATE_FIRING ||
  s === AlertState.ALERT_STATE_RESOLVED;

/**
 * Folds one AlertLogRecord into the entry of its fingerprint; returns the entry (created by a
 * transition) and whether anything changed. A fingerprint's records share a partition, in order,
 * but an alerter may emit a transition again after a restart: a transition older (by `at_ms`)
 * than the one held is ignored. A new episode (a transition after `resolved` with another
 * `starts_at`) starts with no notifications or remediation. Notifications and remediation of a
 * fingerprint not seen yet are dropped (the transition comes first on the topic).
 */
export function foldAlertLog(
  entry: AlertEntry | undefined,
  record: alertspb.AlertLogRecord,
): { entry: AlertEntry | undefined; changed: boolean } {
  const emittedAtMs = Number(record.emittedAtMs);
  if (record.transition) {
    const t = record.transition;
    if (!t.fingerprint || !isKnownState(t.state)) return { entry, changed: false };
    const atMs = Number(t.atMs);
    const startsAtMs = Number(t.startsAtMs) || atMs;
    if (!entry) {
      return {
        entry: { transition: t, atMs, startsAtMs, notifications: new Map(), remediation: new Map() },
        changed: true,
      };
    }
    if (atMs < entry.atMs) return { entry, changed: false };
    const newEpisode =
      entry.transition.state === AlertState.ALERT_STATE_RESOLVED && startsAtMs !== entry.startsAtMs;
    if (newEpisode) {
      entry.notifications.clear();
      entry.remediation.clear();
    }
    entry.transition = t;
    entry.atMs = atMs;
    entry.startsAtMs = startsAtMs;
    return { entry, changed: true };
  }
  if (!entry) return { entry, changed: false };
  if (record.notified) {
    const n = record.notified;
    entry.notifications.set(`${n.channel}\n${n.state}`, {
      channel: n.channel,
      state: n.state,
      ok: n.ok,
      attempts: n.attempts,
      detail: n.detail,
      atMs: emittedAtMs,
    });
    return { entry, changed: true };
  }
  if (record.remediation?.commandId) {
    const r = record.remediation;
    if (entry.remediation.has(r.commandId)) return { entry, changed: false };
    entry.remediation.set(r.commandId, { commandId: r.commandId, attempt: r.attempt, command: r.command });
    return { entry, changed: true };
  }
  return { entry, changed: false };
}

/** The fingerprint a record is about, whatever its entry. */
export function fingerprintOf(record: alertspb.AlertLogRecord): string | undefined {
  return record.transition?.fingerprint ?? record.notified?.fingerprint ?? record.remediation?.fingerprint;
}
