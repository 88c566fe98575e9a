import type { FailureThrottle } from '@app/security';
import type { ReaderLimits } from '../worker/read-only-sql/reader-limits';
import type { SqlTokens } from './sql-tokens';

export interface SqlSettings {
  tokens: SqlTokens;
  limits: ReaderLimits;
  /** Peers that keep presenting wrong tokens are answered 429 without a check. */
  throttle: FailureThrottle;
}

export const SQL_SETTINGS = Symbol('SQL_SETTINGS');
