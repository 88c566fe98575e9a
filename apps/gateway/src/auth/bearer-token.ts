import type { Metadata } from '@grpc/grpc-js';

/** Agent keys as the seed shows them: `ak_` then a token of URL-safe characters. */
export const AGENT_KEY_PATTERN = /^ak_[A-Za-z0-9_-]{8,200}$/;

export type BearerResult = { ok: true; agentKey: string } | { ok: false; reason: string };

/** Reads `authorization: Bearer ak_…` from gRPC metadata; exactly one such header is allowed. */
export function readBearerKey(metadata: Metadata): BearerResult {
  const values = metadata.get('authorization');
  if (values.length === 0) return { ok: false, reason: 'missing authorization metadata' };
  if (values.length > 1) return { ok: false, reason: 'more than one authorization metadata value' };
  const value = values[0];
  if (typeof value !== 'string') return { ok: false, reason: 'authorization metadata must be text' };
  const match = /^Bearer (\S+)$/.exec(value.trim());
  if (!match) return { ok: false, reason: 'authorization must be "Bearer <agent key>"' };
  if (!AGENT_KEY_PATTERN.test(match[1])) return { ok: false, reason: 'malformed agent key' };
  return { ok: true, agentKey: match[1] };
}
