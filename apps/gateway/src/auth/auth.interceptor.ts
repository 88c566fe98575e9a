import { Metadata, ServerInterceptingCall, ServerInterceptor, status } from '@grpc/grpc-js';
import { readBearerKey } from './bearer-token';
import { AgentPrincipal, KeyRegistry } from './key-registry';

export type AuthResult =
  { ok: true; principal: AgentPrincipal; agentKey: string } | { ok: false; reason: string };

export function authenticate(registry: KeyRegistry, metadata: Metadata): AuthResult {
  const bearer = readBearerKey(metadata);
  if (!bearer.ok) return bearer;
  const found = registry.lookup(bearer.agentKey);
  switch (found.status) {
    case 'valid':
      return { ok: true, principal: found.principal, agentKey: bearer.agentKey };
    case 'revoked':
      return { ok: false, reason: 'agent key has been revoked' };
    case 'unknown':
      return { ok: false, reason: 'unknown agent key' };
  }
}

/**
 * The seed's server interceptor (§7): every RPC must carry a valid `authorization: Bearer ak_…`;
 * anything else ends the call with UNAUTHENTICATED before a handler runs.
 */
export function createAuthInterceptor(
  registry: KeyRegistry,
  onReject: (method: string, reason: string) => void,
): ServerInterceptor {
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            const result = authenticate(registry, metadata);
            if (result.ok) return mdNext(metadata);
            onReject(method.path, result.reason);
            call.sendStatus({ code: status.UNAUTHENTICATED, details: result.reason });
          },
        }),
    });
}
