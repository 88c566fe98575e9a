/**
 * What makes a row the same row when it arrives twice: the agent sends no sequence number, so a
 * resend after a lost ACK, a kafkajs retry or a replay is recognised by the payload itself.
 * `scope` names one ordered source (all its copies land in one Kafka partition, in order), `time`
 * its sample or event time (epoch ms in the row), `rest` what tells rows of one instant apart.
 */
export interface RowIdentity {
  scope: readonly string[];
  time: string;
  rest: readonly string[];
}

const BY_HOST = ['tenant_id', 'agent_id', 'host'] as const;

/** Stats: container and sample time. */
export const STATS_IDENTITY: RowIdentity = { scope: BY_HOST, time: 'ts', rest: ['container_id'] };
/** Events: actor, action and event time. */
export const EVENTS_IDENTITY: RowIdentity = {
  scope: BY_HOST,
  time: 'ts',
  rest: ['actor_id', 'event_type', 'action'],
};
/** List snapshots: host and snapshot time (one row per container of the snapshot). */
export const INVENTORY_IDENTITY: RowIdentity = {
  scope: BY_HOST,
  time: 'snapshot_ts',
  rest: ['container_id'],
};
/** Inspect snapshots: host and snapshot time. */
export const INSPECT_IDENTITY: RowIdentity = { scope: BY_HOST, time: 'ts', rest: ['container_id'] };
/** Lifecycle events are the gateway's own: each has a unique message id. */
export const LIFECYCLE_IDENTITY: RowIdentity = {
  scope: ['tenant_id', 'agent_id'],
  time: 'ts',
  rest: ['message_id'],
};

/**
 * Command status transitions: one per (command_id, status), whatever its time, so a transition
 * written twice (a producer retry, a writer that concluded again after a restart) is stored once.
 * All transitions of a command carry its request, hence the same `requested_at`: the "time" here
 * is that constant, and `status` tells the rows of one command apart. (A new transition of a
 * command is never later than the stored ones by this time, so it is always looked up in the
 * table, by the primary key's prefix; commands are few.)
 */
export const COMMANDS_IDENTITY: RowIdentity = {
  scope: ['tenant_id', 'agent_id', 'command_id'],
  time: 'requested_at',
  rest: ['status'],
};

/**
 * Alert transitions: one per (fingerprint, state, starts_at). An alerter that emits a transition
 * again (a restart that replays its state, a producer retry) writes the same three; a new firing
 * of the same alert after it resolved has a new `starts_at`. A fingerprint's records share one
 * partition (the topic's key), in order.
 */
export const ALERTS_IDENTITY: RowIdentity = {
  scope: ['tenant_id', 'fingerprint'],
  time: 'starts_at',
  rest: ['state'],
};

export function scopeKey(identity: RowIdentity, row: Record<string, unknown>): string {
  return identity.scope.map((c) => String(row[c])).join('\u0000');
}

export function identityKey(identity: RowIdentity, row: Record<string, unknown>): string {
  return [
    scopeKey(identity, row),
    String(row[identity.time]),
    ...identity.rest.map((c) => String(row[c])),
  ].join('\u0000');
}
