import { loadConfig } from '@app/config';
import { projectorSchema } from './projector.config';

describe('projector configuration', () => {
  it('defaults to the embedded engine and every projection', () => {
    const config = loadConfig(projectorSchema, {});
    expect(config.CLICKHOUSE_URL).toBeUndefined();
    expect(config.PROJECTOR_PROJECTIONS).toEqual([
      'stats',
      'events',
      'inventory',
      'inspect',
      'lifecycle',
      'commands',
      'alerts',
    ]);
  });

  it.each([
    [{ CLICKHOUSE_URL: 'ftp://x' }, 'CLICKHOUSE_URL'],
    [{ CLICKHOUSE_DATABASE: 'db; DROP' }, 'CLICKHOUSE_DATABASE'],
    [{ PROJECTOR_PROJECTIONS: 'stats,silences' }, 'PROJECTOR_PROJECTIONS'],
    [{ PROJECTOR_BATCH_ROWS: '0' }, 'PROJECTOR_BATCH_ROWS'],
  ])('names the bad variable (%j)', (env, variable) => {
    expect(() => loadConfig(projectorSchema, env)).toThrow(variable);
  });
});
