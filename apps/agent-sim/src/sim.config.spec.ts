import { loadConfig } from '@app/config';
import { simSchema } from './sim.config';

describe('agent-sim configuration', () => {
  const keys = { SIM_AGENT_KEYS: 'ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' };

  it('serves its ops HTTP on loopback unless told otherwise', () => {
    expect(loadConfig(simSchema, keys)).toMatchObject({ SIM_HTTP_HOST: '127.0.0.1', LOG_FORMAT: 'auto' });
    expect(loadConfig(simSchema, { ...keys, SIM_HTTP_HOST: '0.0.0.0' }).SIM_HTTP_HOST).toBe('0.0.0.0');
  });

  it('reads the failing container names, "crashloop" unless told otherwise', () => {
    expect(loadConfig(simSchema, keys).SIM_FAILING_CONTAINERS).toEqual(['crashloop']);
    expect(
      loadConfig(simSchema, { ...keys, SIM_FAILING_CONTAINERS: ' cron, web-1 ,' }).SIM_FAILING_CONTAINERS,
    ).toEqual(['cron', 'web-1']);
    expect(loadConfig(simSchema, { ...keys, SIM_FAILING_CONTAINERS: '' }).SIM_FAILING_CONTAINERS).toEqual([]);
  });

  it('refuses an unknown log format', () => {
    expect(() => loadConfig(simSchema, { ...keys, LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
