import type { Request } from 'express';
import { fail } from '../http/problem';
import type { ApiScope, ApiTokens } from './api-tokens';

/** The scope of a request's `Authorization: Bearer <token>`; 401 without a valid token. */
export class ApiAuth {
  constructor(private readonly tokens: ApiTokens) {}

  scope(req: Request): ApiScope {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const scope = token === undefined ? undefined : this.tokens.scopeOf(token);
    if (!scope) fail('unauthorized', 'missing or invalid bearer token');
    return scope;
  }
}
