/**
 * What the notifiers deliver: one alert's current state, independent of the alerter's rule
 * engine and of the Kafka record it came from.
 */
export interface NotifiableAlert {
  fingerprint: string;
  state: 'firing' | 'resolved';
  /** alertname, severity, tenant, agent_id, host, container and the rule's labels. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Epoch ms. */
  startsAt: number;
  /** Epoch ms; set when resolved (a resolved alert without it ends "now"). */
  endsAt?: number;
  generatorURL?: string;
}

/** Outcome of one notification, as a value: notifiers never throw out of notify(). */
export interface NotifyResult {
  ok: boolean;
  /** HTTP attempts made (0 when nothing was sent, e.g. closed before the first try). */
  attempts: number;
  detail: string;
}

export interface Notifier {
  notify(alert: NotifiableAlert): Promise<NotifyResult>;
  close(): Promise<void>;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();
