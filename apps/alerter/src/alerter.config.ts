import { hostname } from 'node:os';
import { z } from 'zod';
import { commonSchema, env } from '@app/config';

const url = () =>
  env
    .optionalText()
    .refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), { message: 'must be an http(s) URL' });

export const alerterSchema = commonSchema.extend({
  ALERTER_ID: env.text(`alerter-${hostname()}-${process.pid}`),
  /** Ops HTTP (metrics, health): loopback unless an operator exposes it. */
  ALERTER_HTTP_HOST: env.text('127.0.0.1'),
  ALERTER_HTTP_PORT: env.port(8084),
  /** YAML rule file, reloaded on change; a bad file is refused and the previous rules stay. */
  ALERTER_RULES_FILE: env.optionalText(),
  /** How often the rule file is looked at for changes. */
  ALERTER_RULES_POLL_MS: env.positiveInt(1000, 600_000),
  /** Alertmanager base URL (alerts go to `<url>/api/v2/alerts`). */
  ALERTER_ALERTMANAGER_URL: url(),
  /** Firing alerts are sent to Alertmanager again this often (Prometheus: resend delay). */
  ALERTER_RESEND_INTERVAL_MS: env.positiveInt(60_000, 3600_000),
  /** A direct webhook in Alertmanager's webhook format, for teams without Alertmanager. */
  ALERTER_WEBHOOK_URL: url(),
  ALERTER_WEBHOOK_TOKEN: env.optionalText(),
  ALERTER_WEBHOOK_ATTEMPTS: env.positiveInt(5, 100),
  /** Samples or events older than the newest of their series by more than this are too late. */
  ALERTER_MAX_LATENESS_MS: env.positiveInt(60_000, 3600_000),
  /** After a restart or a rebalance, the inputs of this long ago are read again to rebuild windows. */
  ALERTER_REBUILD_LOOKBACK_MS: env.positiveInt(15 * 60_000, 24 * 3600_000),
  /** How often absence rules, quiet periods and remediation cooldowns are looked at. */
  ALERTER_TICK_MS: env.positiveInt(1000, 60_000),
  /** Commands sent by remediation expire after this. */
  ALERTER_COMMAND_EXPIRY_MS: env.positiveInt(300_000, 7 * 86_400_000),
});

export type AlerterConfig = z.infer<typeof alerterSchema>;
