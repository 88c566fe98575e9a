import { readFileSync } from 'node:fs';
import type { SecretHasher } from '@app/security';

const TENANT = /^[A-Za-z0-9_-]{1,64}$/;
/** At least 128 bits when random: 22 characters of a 62-letter alphabet. */
const TOKEN = /^[A-Za-z0-9_-]{22,256}$/;
const PURPOSE = { token: 'control-api-token', tokenId: 'control-api-token-id' } as const;

/** What a token may see and change; `tokenId` is the actor written into key events. */
export type ApiScope =
  { kind: 'operator'; tokenId: string } | { kind: 'tenant'; tenant: string; tokenId: string };

/**
 * Bearer tokens of the control API, from `CONTROL_API_TOKENS` (comma-separated) and
 * `CONTROL_API_TOKENS_FILE` (one per line, `#` comments): `tenant:token`, or `*:token` for an
 * operator of every tenant. Only HMACs are kept (the agent keys' scheme, its own purpose); a bad
 * entry is named by its position, never by its value.
 */
export class ApiTokens {
  private readonly scopes = new Map<string, ApiScope>();

  private constructor(private readonly hasher: SecretHasher) {}

  static fromConfig(hasher: SecretHasher, list: string | undefined, file: string | undefined): ApiTokens {
    const tokens = new ApiTokens(hasher);
    (list ?? '').split(',').forEach((e, i) => tokens.add(e.trim(), `CONTROL_API_TOKENS entry ${i + 1}`));
    if (file) {
      let content: string;
      try {
        content = readFileSync(file, 'utf8');
      } catch (error) {
        throw new Error(`CONTROL_API_TOKENS_FILE: cannot read ${file}: ${(error as Error).message}`);
      }
      content
        .split('\n')
        .forEach((line, i) =>
          tokens.add(line.replace(/#.*/, '').trim(), `CONTROL_API_TOKENS_FILE line ${i + 1}`),
        );
    }
    if (tokens.scopes.size === 0) throw new Error('CONTROL_API_TOKENS/CONTROL_API_TOKENS_FILE: no token');
    return tokens;
  }

  /** The scope of a presented token, or undefined: the lookup is by HMAC, never by the token. */
  scopeOf(token: string): ApiScope | undefined {
    if (!TOKEN.test(token)) return undefined;
    return this.scopes.get(this.hasher.digest(PURPOSE.token, token));
  }

  private add(entry: string, source: string): void {
    if (entry === '') return;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${source}: expected tenant:token or *:token`);
    const tenant = entry.slice(0, colon);
    const token = entry.slice(colon + 1);
    if (tenant !== '*' && !TENANT.test(tenant)) throw new Error(`${source}: tenant must match ${TENANT}`);
    if (!TOKEN.test(token))
      throw new Error(`${source}: a token must be 22 to 256 characters of [A-Za-z0-9_-]`);
    const digest = this.hasher.digest(PURPOSE.token, token);
    const tokenId = `tok_${this.hasher.digest(PURPOSE.tokenId, digest).slice(0, 12)}`;
    const scope: ApiScope =
      tenant === '*' ? { kind: 'operator', tokenId } : { kind: 'tenant', tenant, tokenId };
    const existing = this.scopes.get(digest);
    if (existing && JSON.stringify(existing) !== JSON.stringify(scope)) {
      throw new Error(`${source}: the same token is configured for two tenants`);
    }
    this.scopes.set(digest, scope);
  }
}

/** Whether a scope may see a tenant's records; anything else answers 404, as if it did not exist. */
export function canSee(scope: ApiScope, tenant: string): boolean {
  return scope.kind === 'operator' || scope.tenant === tenant;
}
