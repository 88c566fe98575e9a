import type { AgentPrincipal } from './key-registry';

/** Why a call was refused: a metric label and a log field, never told to the caller. */
export const AUTH_FAILURE_REASONS = [
  'missing_metadata',
  'bad_metadata',
  'malformed_key',
  'unknown_key',
  'revoked_key',
  'body_key_mismatch',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** `detail` is for the log: it never contains the presented key. */
export interface AuthFailure {
  reason: AuthFailureReason;
  detail: string;
  keyId?: string;
}

export type AuthResult =
  { ok: true; principal: AgentPrincipal; agentKey: string } | ({ ok: false } & AuthFailure);
