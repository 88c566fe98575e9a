import { FailureThrottle, SecretHasher } from '@app/security';
import type { AppLogger } from '@app/observability';
import type { ProjectorConfig } from '../projector.config';
import type { ReaderOptions } from '../worker/worker-protocol';
import { SqlTokens } from './sql-tokens';
import type { SqlSettings } from './sql.settings';

/**
 * Whether this projector serves POST /sql, and with what: only in embedded mode (a ClickHouse
 * server has its own users and row policies), only when enabled, and only with tokens. A
 * projector without any says why in its log instead of serving SQL to anyone.
 */
export function sqlEndpointFromConfig(
  config: ProjectorConfig,
  logger: AppLogger,
): { settings: SqlSettings; reader: ReaderOptions } | undefined {
  if (config.PROJECTOR_SQL_ENABLED !== 'true') return undefined;
  if (config.CLICKHOUSE_URL) {
    logger.info('POST /sql is not served with a ClickHouse server: connect to it with a read-only user');
    return undefined;
  }
  if (!config.AUTH_HASH_SECRET || (!config.PROJECTOR_SQL_TOKENS && !config.PROJECTOR_SQL_TOKENS_FILE)) {
    logger.warn(
      'POST /sql is not served: no PROJECTOR_SQL_TOKENS or PROJECTOR_SQL_TOKENS_FILE configured (npm start makes a demo token)',
    );
    return undefined;
  }
  const tokens = SqlTokens.fromConfig(
    new SecretHasher(config.AUTH_HASH_SECRET),
    config.PROJECTOR_SQL_TOKENS,
    config.PROJECTOR_SQL_TOKENS_FILE,
  );
  const limits = {
    maxResultRows: config.PROJECTOR_SQL_MAX_ROWS,
    maxResultBytes: config.PROJECTOR_SQL_MAX_RESULT_BYTES,
    maxExecutionSeconds: config.PROJECTOR_SQL_TIMEOUT_SECONDS,
    maxMemoryBytes: config.PROJECTOR_SQL_MAX_MEMORY_BYTES,
  };
  const throttle = new FailureThrottle({ burst: 20, refillPerSecond: 1, maxTracked: 10_000 });
  return { settings: { tokens, limits, throttle }, reader: { limits, tenants: tokens.tenants() } };
}
