import type { ApiScope } from '../auth/api-tokens';
import { fail } from '../http/problem';

/**
 * The tenant a rule or silence belongs to: a tenant token's own (a `tenant` naming another is
 * refused); an operator's may name one, or none ('' = every tenant).
 */
export function ownerTenant(scope: ApiScope, requested: string | undefined): string {
  if (scope.kind === 'operator') return requested ?? '';
  if (requested !== undefined && requested !== scope.tenant)
    fail('tenant_not_allowed', '/body/tenant: a tenant token acts for its own tenant only', '/body/tenant');
  return scope.tenant;
}

/** Tenant tokens see only their tenant's rules and silences; the operator's global ones are not theirs. */
export function owns(scope: ApiScope, tenant: string): boolean {
  return scope.kind === 'operator' || scope.tenant === tenant;
}

export function notReady(what: string): never {
  fail('unavailable', `the ${what} topic is still being read from Kafka; retry shortly`);
}
