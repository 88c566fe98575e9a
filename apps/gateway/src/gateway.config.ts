import { hostname } from 'node:os';
import { z } from 'zod';
import { commonSchema, env } from '@app/config';

export const gatewaySchema = commonSchema
  .extend({
    GATEWAY_GRPC_HOST: env.text('0.0.0.0'),
    GATEWAY_GRPC_PORT: env.port(50051),
    GATEWAY_HTTP_PORT: env.port(8081),
    /** Ops HTTP (metrics, health): loopback unless an operator exposes it; gRPC is the public listener. */
    GATEWAY_HTTP_HOST: env.text('127.0.0.1'),
    GATEWAY_ID: env.text(`${hostname()}-${process.pid}`),
    /**
     * `[tenant:]ak_…` comma-separated; `!` in front revokes. Keys are `ak_` + 22..200 letters or
     * digits. Optional: keys issued through the control API (the keys topic, always followed) are
     * accepted too, and may be the only ones.
     */
    AGENT_KEYS: env.optionalText(),
    /** The same, one entry per line, `#` comments. */
    AGENT_KEYS_FILE: env.optionalText(),
    /**
     * Key of the HMACs agent keys are kept as, and that agent ids and key ids derive from. Shared
     * by every gateway of a deployment; changing it changes every agent id and key id.
     */
    AUTH_HASH_SECRET: env.hashSecret(),
    /** Failed authentications a peer address (IPv4, or IPv6 /64) may make in a row before it is throttled. */
    GATEWAY_AUTH_FAILURE_BURST: env.positiveInt(20, 1_000_000),
    /** Failures forgiven per second per address; while throttled, an address gets this many tries a second. */
    GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND: z.coerce
      .number({ message: 'must be a positive number' })
      .positive('must be a positive number')
      .max(1_000_000, 'must be at most 1000000')
      .default(1),
    /** A throttled address's calls are refused, unchecked, after this delay. */
    GATEWAY_AUTH_THROTTLE_DELAY_MS: env.positiveInt(1000, 60_000),
    /** Delayed refusals held at once (memory bound); beyond it they are answered at once. */
    GATEWAY_AUTH_THROTTLE_MAX_DELAYED: env.positiveInt(1000, 1_000_000),
    /** Addresses with recent failures tracked at once (memory bound); the oldest are forgotten first. */
    GATEWAY_AUTH_THROTTLE_MAX_PEERS: env.positiveInt(100_000, 10_000_000),
    GATEWAY_TLS_CERT: env.optionalText(),
    GATEWAY_TLS_KEY: env.optionalText(),
    /** A single gRPC message above this size ends the stream with RESOURCE_EXHAUSTED. */
    GATEWAY_MAX_MESSAGE_BYTES: env.positiveInt(4 * 1024 * 1024, 64 * 1024 * 1024),
    /** Any string field above this many UTF-8 bytes sends the message to the DLQ. */
    GATEWAY_MAX_STRING_BYTES: env.positiveInt(16 * 1024),
    /** Any repeated field or map with more entries sends the message to the DLQ. */
    GATEWAY_MAX_LIST_ITEMS: env.positiveInt(5000),
    /** Agent clocks ahead of the gateway by more than this are absurd. */
    GATEWAY_MAX_FUTURE_SKEW_MS: env.positiveInt(24 * 3600 * 1000),
    /** Messages a single stream may have waiting for Kafka before the gateway stops reading it. */
    GATEWAY_STREAM_MAX_IN_FLIGHT: env.positiveInt(512, 100000),
    /**
     * Bytes all streams together may have waiting for Kafka, at most: the time-based limit below
     * stays under it, and twice it refuses records outright.
     */
    GATEWAY_MAX_PENDING_BYTES: env.positiveInt(64 * 1024 * 1024),
    /**
     * Streams pause once the records waiting for Kafka are what Kafka drains in this time (measured
     * as it runs): a saturated gateway queues about this long, not a fixed number of bytes.
     */
    GATEWAY_TARGET_QUEUE_MS: env.positiveInt(500, 60_000),
    GATEWAY_PUBLISH_TIMEOUT_MS: env.positiveInt(10000),
    GATEWAY_LINGER_MS: env.positiveInt(2, 1000),
    /** Largest Kafka batch (one sendBatch of one lane), in bytes. */
    GATEWAY_MAX_BATCH_BYTES: env.positiveInt(1024 * 1024, 64 * 1024 * 1024),
    /** Kafka batches in flight together: records are spread over this many lanes by agent, one batch in flight per lane. */
    GATEWAY_PUBLISH_LANES: env.positiveInt(4, 64),
    /** Run the kafkajs producer (record encoding, CRCs) in a worker thread, off the gRPC event loop. */
    GATEWAY_KAFKA_WORKER: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true'),
    GATEWAY_ACK_INTERVAL_MS: env.positiveInt(200, 60000),
    /** A stream that carries messages is reported active on the lifecycle topic at most this often. */
    GATEWAY_ACTIVITY_INTERVAL_MS: env.positiveInt(30_000, 3600_000),
    /** A delivered command with no container event that shows its outcome for this long is timed_out. */
    COMMAND_OUTCOME_TIMEOUT_MS: env.positiveInt(60_000, 24 * 3600 * 1000),
    /** START succeeds once the container has stayed up this long after its `start` event. */
    COMMAND_START_SETTLE_MS: env.positiveInt(1000, 600_000),
    /**
     * Open streams are announced to the command log again this often; a stream not announced for
     * twice as long is no longer a delivery target (its gateway is gone).
     */
    GATEWAY_PRESENCE_REFRESH_MS: env.positiveInt(600_000, 24 * 3600 * 1000),
    /** A command dispatched to a stream whose gateway went away without confirming it fails after this. */
    COMMAND_DISPATCH_CONFIRM_MS: env.positiveInt(30_000, 3600_000),
    GATEWAY_SHUTDOWN_GRACE_MS: env.positiveInt(10000),
  })
  .superRefine((cfg, ctx) => {
    if (Boolean(cfg.GATEWAY_TLS_CERT) !== Boolean(cfg.GATEWAY_TLS_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: [cfg.GATEWAY_TLS_CERT ? 'GATEWAY_TLS_KEY' : 'GATEWAY_TLS_CERT'],
        message: 'GATEWAY_TLS_CERT and GATEWAY_TLS_KEY must be set together',
      });
    }
  });

export type GatewayConfig = z.infer<typeof gatewaySchema>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
