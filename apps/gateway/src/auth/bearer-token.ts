import type { Metadata } from '@grpc/grpc-js';
import type { AuthFailure } from './auth-result';

/**
 * Agent keys: `ak_` then at least 22 letters or digits, i.e. at least 128 bits when random (the
 * seed shows 32). The same pattern checks configured keys and presented ones.
 */
export const AGENT_KEY_PATTERN = /^ak_[A-Za-z0-9]{22,200}$/;
export const AGENT_KEY_FORMAT = 'ak_ followed by 22 to 200 letters or digits';

export type BearerResult = { ok: true; agentKey: string } | ({ ok: false } & AuthFailure);

/** Reads `authorization: Bearer ak_…` from gRPC metadata; exactly one such header is allowed. */
export function readBearerKey(metadata: Metadata): BearerResult {
  const values = metadata.get('authorization');
  if (values.length === 0) return fail('missing_metadata', 'no authorization metadata');
  if (values.length > 1) return fail('bad_metadata', 'more than one authorization metadata value');
  const value = values[0];
  if (typeof value !== 'string') return fail('bad_metadata', 'authorization metadata is not text');
  const match = /^Bearer (\S+)$/.exec(value.trim());
  if (!match) return fail('bad_metadata', 'authorization is not "Bearer <agent key>"');
  if (!AGENT_KEY_PATTERN.test(match[1])) return fail('malformed_key', `agent key is not ${AGENT_KEY_FORMAT}`);
  return { ok: true, agentKey: match[1] };
}

function fail(reason: AuthFailure['reason'], detail: string): BearerResult {
  return { ok: false, reason, detail };
}
