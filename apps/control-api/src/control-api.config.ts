import { z } from 'zod';
import { commonSchema, env } from '@app/config';

export const controlApiSchema = commonSchema
  .extend({
    /** The API for people and automation: loopback unless an operator exposes it (behind TLS). */
    CONTROL_API_HOST: env.text('127.0.0.1'),
    CONTROL_API_PORT: env.port(8083),
    /** `tenant:token` comma-separated; `*:token` is an operator of every tenant. */
    CONTROL_API_TOKENS: env.optionalText(),
    /** The same, one entry per line, `#` comments. */
    CONTROL_API_TOKENS_FILE: env.optionalText(),
    /** Key of the HMACs of API tokens and agent keys: the gateways' AUTH_HASH_SECRET. */
    AUTH_HASH_SECRET: env.hashSecret(),
    /** An agent without a heartbeat or stream message for longer is offline (3 missed heartbeats). */
    AGENT_OFFLINE_AFTER_MS: env.positiveInt(90_000),
    /** Largest JSON body, in bytes; larger → 413. */
    CONTROL_API_MAX_BODY_BYTES: env.positiveInt(16 * 1024, 1024 * 1024),
    CONTROL_API_ID: env.text(`control-api-${process.pid}`),
    /** Expiry of a command whose request names none (`expires_in_seconds`); at most 7 days. */
    COMMAND_DEFAULT_EXPIRY_SECONDS: env.positiveInt(300, 7 * 86400),
    /**
     * The commands read model forgets a command this long after its terminal status (or, never
     * concluded, this long after its expiry): its memory bound. Default 24 h.
     */
    COMMAND_HISTORY_RETENTION_MS: env.positiveInt(24 * 3600 * 1000),
    /**
     * The alerts read model forgets a resolved alert this long after it resolved, and the
     * silences read model a silence this long after it ended. Default 24 h.
     */
    ALERTS_RESOLVED_RETENTION_MS: env.positiveInt(24 * 3600 * 1000),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.CONTROL_API_TOKENS && !cfg.CONTROL_API_TOKENS_FILE) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONTROL_API_TOKENS'],
        message: 'set CONTROL_API_TOKENS or CONTROL_API_TOKENS_FILE',
      });
    }
  });

export type ControlApiConfig = z.infer<typeof controlApiSchema>;
export const CONTROL_API_CONFIG = Symbol('CONTROL_API_CONFIG');
