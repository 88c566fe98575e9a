import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretHasher } from '@app/security';
import { SqlTokens } from './sql-tokens';

const hasher = new SecretHasher('x'.repeat(40));
const OPERATOR = 'sql_operatorOperatorOperator01';
const ACME = 'sql_acmeAcmeAcmeAcmeAcmeAcme02';

describe('SqlTokens', () => {
  it('maps each token to its scope', () => {
    const tokens = SqlTokens.fromConfig(hasher, `*:${OPERATOR}, acme:${ACME}`, undefined);
    expect(tokens.scopeOf(OPERATOR)).toEqual({ kind: 'operator' });
    expect(tokens.scopeOf(ACME)).toEqual({ kind: 'tenant', tenant: 'acme' });
    expect(tokens.scopeOf('sql_unknownUnknownUnknown03')).toBeUndefined();
    expect(tokens.scopeOf('short')).toBeUndefined();
    expect(tokens.tenants()).toEqual(['acme']);
  });

  it('reads a file with comments', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sql-tokens-')), 'tokens');
    writeFileSync(file, `# data team\nacme:${ACME}  # analysts\n\n*:${OPERATOR}\n`);
    const tokens = SqlTokens.fromConfig(hasher, undefined, file);
    expect(tokens.size).toBe(2);
    expect(tokens.scopeOf(ACME)).toEqual({ kind: 'tenant', tenant: 'acme' });
  });

  it('keeps no plaintext token', () => {
    const tokens = SqlTokens.fromConfig(hasher, `acme:${ACME}`, undefined);
    expect(JSON.stringify([...(tokens as unknown as { scopes: Map<string, unknown> }).scopes])).not.toContain(
      ACME,
    );
  });

  it.each([
    ['a token without tenant', ACME, /entry 1: expected tenant:token/],
    ['a short token', 'acme:abc', /entry 1: a token must be/],
    ['a hostile tenant', `../x:${ACME}`, /entry 1: tenant must match/],
    ['one token for two tenants', `acme:${ACME},other:${ACME}`, /entry 2: the same token/],
  ])('refuses %s, naming the entry but never the value', (_label, value, message) => {
    let error: Error | undefined;
    try {
      SqlTokens.fromConfig(hasher, value, undefined);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('sql_acme');
  });

  it('names the file when it cannot be read', () => {
    expect(() => SqlTokens.fromConfig(hasher, undefined, '/nonexistent/tokens')).toThrow(
      /PROJECTOR_SQL_TOKENS_FILE/,
    );
  });
});
