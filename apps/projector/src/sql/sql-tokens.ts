import { readFileSync } from 'node:fs';
import type { SecretHasher } from '@app/security';
import type { SqlScope } from '../worker/read-only-sql/statement-policy';

const TENANT = /^[A-Za-z0-9_-]{1,64}$/;
/** At least 128 bits when random: 22 characters of a 62-letter alphabet. */
const TOKEN = /^[A-Za-z0-9_-]{22,256}$/;
const PURPOSE = 'sql-token';

/**
 * Bearer tokens of the SQL endpoint, from `PROJECTOR_SQL_TOKENS` (comma-separated) and
 * `PROJECTOR_SQL_TOKENS_FILE` (one per line, `#` comments): `tenant:token`, or `*:token` for an
 * operator who reads every tenant. Only HMACs of the tokens are kept; a bad entry is named by
 * its position, never by its value.
 */
export class SqlTokens {
  private readonly scopes = new Map<string, SqlScope>();

  private constructor(private readonly hasher: SecretHasher) {}

  static fromConfig(hasher: SecretHasher, list: string | undefined, file: string | undefined): SqlTokens {
    const tokens = new SqlTokens(hasher);
    (list ?? '')
      .split(',')
      .forEach((entry, i) => tokens.add(entry.trim(), `PROJECTOR_SQL_TOKENS entry ${i + 1}`));
    if (file) {
      let content: string;
      try {
        content = readFileSync(file, 'utf8');
      } catch (error) {
        throw new Error(`PROJECTOR_SQL_TOKENS_FILE: cannot read ${file}: ${(error as Error).message}`);
      }
      content
        .split('\n')
        .forEach((line, i) =>
          tokens.add(line.replace(/#.*/, '').trim(), `PROJECTOR_SQL_TOKENS_FILE line ${i + 1}`),
        );
    }
    return tokens;
  }

  get size(): number {
    return this.scopes.size;
  }

  /** Tenants with a token of their own: each gets its views. */
  tenants(): string[] {
    const names = [...this.scopes.values()].flatMap((s) => (s.kind === 'tenant' ? [s.tenant] : []));
    return [...new Set(names)].sort();
  }

  /** The scope of a presented token, or undefined: the lookup is by HMAC, never by the token. */
  scopeOf(token: string): SqlScope | undefined {
    if (!TOKEN.test(token)) return undefined;
    return this.scopes.get(this.hasher.digest(PURPOSE, token));
  }

  private add(entry: string, source: string): void {
    if (entry === '') return;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${source}: expected tenant:token or *:token`);
    const tenant = entry.slice(0, colon);
    const token = entry.slice(colon + 1);
    if (tenant !== '*' && !TENANT.test(tenant)) throw new Error(`${source}: tenant must match ${TENANT}`);
    if (!TOKEN.test(token)) {
      throw new Error(`${source}: a token must be 22 to 256 characters of [A-Za-z0-9_-]`);
    }
    const digest = this.hasher.digest(PURPOSE, token);
    const scope: SqlScope = tenant === '*' ? { kind: 'operator' } : { kind: 'tenant', tenant };
    const existing = this.scopes.get(digest);
    if (existing && JSON.stringify(existing) !== JSON.stringify(scope)) {
      throw new Error(`${source}: the same token is configured for two tenants`);
    }
    this.scopes.set(digest, scope);
  }
}
