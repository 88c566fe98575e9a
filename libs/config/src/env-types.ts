import { z } from 'zod';

/** Reusable environment value parsers: every variable is a string, these turn them into typed values. */
export const env = {
  port: (fallback: number) =>
    z.coerce
      .number({ message: 'must be a TCP port number' })
      .int('must be a TCP port number')
      .min(0, 'must be a port between 0 and 65535')
      .max(65535, 'must be a port between 0 and 65535')
      .default(fallback),

  positiveInt: (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ message: 'must be a positive integer' })
      .int('must be a positive integer')
      .min(1, 'must be a positive integer')
      .max(max, `must be at most ${max}`)
      .default(fallback),

  text: (fallback: string) => z.string().trim().min(1, 'must not be empty').default(fallback),

  optionalText: () =>
    z
      .string()
      .trim()
      .optional()
      .transform((v) => (v === '' ? undefined : v)),

  /** `host:port[,host:port…]` */
  brokers: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .refine((list) => list.length > 0 && list.every((b) => /^[A-Za-z0-9._-]+:\d{1,5}$/.test(b)), {
        message: 'must be a comma-separated list of host:port',
      }),

  /**
   * A server-side secret for keyed hashes (HMAC) of credentials; required, no default, so that
   * two installations never share one by accident. Name the variable with SECRET so that
   * loadConfig never echoes it.
   */
  hashSecret: () =>
    z
      .string({ message: 'required (generate one with: openssl rand -hex 32)' })
      .min(32, 'must be at least 32 characters (generate one with: openssl rand -hex 32)'),

  logLevel: () => z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

  /** `auto`: pretty on a terminal, JSON otherwise (see libs/observability/src/logger.ts). */
  logFormat: () => z.enum(['auto', 'json', 'pretty']).default('auto'),

  /** Kafka topic prefix: topic names are `<prefix><name>`. */
  topicPrefix: () =>
    z
      .string()
      .default('containeragent.')
      .refine((v) => /^[A-Za-z0-9._-]{0,100}$/.test(v), {
        message: 'may contain only letters, digits, ".", "_" and "-" (at most 100)',
      }),
};
