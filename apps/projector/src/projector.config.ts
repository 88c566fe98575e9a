import { z } from 'zod';
import { commonSchema, env } from '@app/config';

const PROJECTION_NAMES = [
  'stats',
  'events',
  'inventory',
  'inspect',
  'lifecycle',
  'commands',
  'alerts',
] as const;

export const projectorSchema = commonSchema
  .extend({
    /** A ClickHouse server; unset → the embedded engine (chDB) in CLICKHOUSE_PATH. */
    CLICKHOUSE_URL: env.optionalText().refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
      message: 'must be an http(s):// URL',
    }),
    CLICKHOUSE_PATH: env.text('data/clickhouse'),
    CLICKHOUSE_USER: env.optionalText(),
    CLICKHOUSE_PASSWORD: env.optionalText(),
    CLICKHOUSE_DATABASE: env.text('containeragent').refine((v) => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v), {
      message: 'must be a plain identifier',
    }),
    /** Cluster name: render ReplicatedMergeTree + Distributed DDL (server mode only). */
    CLICKHOUSE_CLUSTER: env.optionalText(),
    CLICKHOUSE_TTL_DAYS: env.positiveInt(30, 36500),
    CLICKHOUSE_ROLLUP_TTL_DAYS: env.positiveInt(400, 36500),
    PROJECTOR_HTTP_PORT: env.port(8082),
    /** Ops HTTP (metrics, health, /sql): loopback unless an operator exposes it. */
    PROJECTOR_HTTP_HOST: env.text('127.0.0.1'),
    PROJECTOR_GROUP_PREFIX: env.text('projector'),
    PROJECTOR_PROJECTIONS: z
      .string()
      .default(PROJECTION_NAMES.join(','))
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z.enum(PROJECTION_NAMES, { message: `must list projections of ${PROJECTION_NAMES.join(', ')}` }),
          )
          .min(1),
      ),
    /** Records per ClickHouse insert (upper bound), and the longest a record waits for its batch. */
    PROJECTOR_BATCH_ROWS: env.positiveInt(2000, 1_000_000),
    PROJECTOR_BATCH_MAX_MS: env.positiveInt(250, 60_000),
    PROJECTOR_MAX_PENDING_RECORDS: env.positiveInt(50_000),
    PROJECTOR_RETRY_MAX_MS: env.positiveInt(10_000),
    /** /readyz turns 503 once a projection's inserts have failed without a success for longer than this. */
    PROJECTOR_READY_MAX_FAILING_MS: env.positiveInt(30_000),
    /** A dead ClickHouse worker is restarted after this delay, doubling per crash up to the maximum… */
    PROJECTOR_WORKER_RESTART_MIN_MS: env.positiveInt(500, 600_000),
    PROJECTOR_WORKER_RESTART_MAX_MS: env.positiveInt(10_000, 600_000),
    /** …and given up (the projector exits 1) after more crashes than this within the window. */
    PROJECTOR_WORKER_MAX_RESTARTS: env.positiveInt(5, 1000),
    PROJECTOR_WORKER_RESTART_WINDOW_MS: env.positiveInt(60_000),
    /** How often projector_consumer_lag is read from the broker (high watermark minus committed offset). */
    PROJECTOR_LAG_INTERVAL_MS: env.positiveInt(5_000, 600_000),
    /**
     * Read-only SQL over HTTP (POST /sql, embedded mode). Served only when tokens are configured:
     * `tenant:token` entries, `*:token` for an operator of every tenant.
     */
    PROJECTOR_SQL_ENABLED: z.enum(['true', 'false']).default('true'),
    PROJECTOR_SQL_TOKENS: env.optionalText(),
    PROJECTOR_SQL_TOKENS_FILE: env.optionalText(),
    /** Key of the HMACs that tokens are kept as; required with tokens. */
    AUTH_HASH_SECRET: env.hashSecret().optional(),
    PROJECTOR_SQL_MAX_ROWS: env.positiveInt(100_000),
    PROJECTOR_SQL_MAX_RESULT_BYTES: env.positiveInt(256 * 1024 * 1024),
    PROJECTOR_SQL_TIMEOUT_SECONDS: env.positiveInt(30, 3600),
    PROJECTOR_SQL_MAX_MEMORY_BYTES: env.positiveInt(2 * 1024 * 1024 * 1024),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.PROJECTOR_SQL_TOKENS || cfg.PROJECTOR_SQL_TOKENS_FILE) && !cfg.AUTH_HASH_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_HASH_SECRET'],
        message:
          'required with PROJECTOR_SQL_TOKENS/PROJECTOR_SQL_TOKENS_FILE (tokens are kept as HMACs under it)',
      });
    }
  });

export type ProjectorConfig = z.infer<typeof projectorSchema>;
