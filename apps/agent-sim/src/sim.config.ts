import { z } from 'zod';
import { env } from '@app/config';

export const simSchema = z.object({
  SIM_GATEWAY_ADDR: z
    .string()
    .default('127.0.0.1:50051')
    .refine((v) => /^[A-Za-z0-9._-]+:\d{1,5}$/.test(v), { message: 'must be host:port' }),
  SIM_TLS: z.enum(['true', 'false']).default('false'),
  /** Comma-separated agent keys, one simulated agent each. */
  SIM_AGENT_KEYS: z
    .string({ message: 'required: comma-separated agent keys (the gateway must know them)' })
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().replace(/^[A-Za-z0-9_-]+:(?=ak_)/, ''))
        .filter(Boolean),
    )
    .refine((keys) => keys.length > 0 && keys.every((k) => /^ak_[A-Za-z0-9]{22,200}$/.test(k)), {
      // The gateway's format (apps/gateway/src/auth/bearer-token.ts); it refuses anything else.
      message: 'must be a comma-separated list of agent keys, each ak_ + 22..200 letters or digits',
    }),
  SIM_HOSTS_PER_AGENT: env.positiveInt(1, 100),
  SIM_CONTAINERS_PER_HOST: env.positiveInt(10, 1000),
  SIM_STATS_INTERVAL_MS: env.positiveInt(5000),
  SIM_INVENTORY_INTERVAL_MS: env.positiveInt(60000),
  SIM_HEARTBEAT_INTERVAL_MS: env.positiveInt(30000),
  /** Chance per container per stats tick of an incident (die/restart/start). */
  SIM_INCIDENT_PROBABILITY: z.coerce.number().min(0).max(1).default(0.002),
  /**
   * Containers whose name contains one of these (comma-separated) fail every start: `start`, then
   * at once `die` with exitCode 1. A deterministic failed START for tests and demos; empty: none.
   */
  SIM_FAILING_CONTAINERS: z
    .string()
    .default('crashloop')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  SIM_SEED: env.positiveInt(42),
  /** On SIGTERM, how long agents wait for the gateway to ACK what they sent before they exit. */
  SIM_SHUTDOWN_DRAIN_MS: env.positiveInt(10_000, 600_000),
  SIM_HTTP_PORT: env.port(8090),
  /** Ops HTTP (metrics, health): loopback unless exposed on purpose. */
  SIM_HTTP_HOST: env.text('127.0.0.1'),
  LOG_LEVEL: env.logLevel(),
  LOG_FORMAT: env.logFormat(),
});

export type SimConfig = z.infer<typeof simSchema>;
