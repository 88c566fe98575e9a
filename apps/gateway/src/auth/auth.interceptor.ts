import { Metadata, ServerInterceptingCall, ServerInterceptor } from '@grpc/grpc-js';
import type { AuthResult } from './auth-result';
import type { AuthGate } from './auth.gate';
import { readBearerKey } from './bearer-token';
import { KeyRegistry } from './key-registry';

/** The key check alone: no throttling, logging or metrics (AuthGate adds those). */
export function authenticate(registry: KeyRegistry, metadata: Metadata): AuthResult {
  const bearer = readBearerKey(metadata);
  if (!bearer.ok) return bearer;
  const found = registry.lookup(bearer.agentKey);
  switch (found.status) {
    case 'valid':
      return { ok: true, principal: found.principal, agentKey: bearer.agentKey };
    case 'revoked':
      return { ok: false, reason: 'revoked_key', detail: 'agent key has been revoked', keyId: found.keyId };
    case 'unknown':
      return { ok: false, reason: 'unknown_key', detail: 'unknown agent key' };
  }
}

/**
 * The seed's server interceptor (§7): every RPC must carry a valid `authorization: Bearer ak_…`;
 * anything else ends the call with UNAUTHENTICATED before a handler runs.
 */
export function createAuthInterceptor(gate: AuthGate): ServerInterceptor {
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            const admitted = gate.admit({ peer: call.getPeer(), method: method.path }, metadata, (refusal) =>
              call.sendStatus(refusal),
            );
            if (admitted) mdNext(metadata);
          },
        }),
    });
}
