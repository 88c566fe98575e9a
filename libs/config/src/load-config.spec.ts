import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';
import { commonSchema } from './common.config';
import { env } from './env-types';

describe('loadConfig', () => {
  it('applies defaults when variables are unset', () => {
    const cfg = loadConfig(commonSchema, {});
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(cfg.KAFKA_TOPIC_PREFIX).toBe('containeragent.');
    expect(cfg.LOG_LEVEL).toBe('info');
  });

  it('parses broker lists', () => {
    const cfg = loadConfig(commonSchema, { KAFKA_BROKERS: 'a:1, b.example:9093' });
    expect(cfg.KAFKA_BROKERS).toEqual(['a:1', 'b.example:9093']);
  });

  it('names every bad variable in one error', () => {
    const schema = commonSchema.extend({ PORT: env.port(1) });
    let error: unknown;
    try {
      loadConfig(schema, { KAFKA_BROKERS: 'no-port', PORT: '70000', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('KAFKA_BROKERS');
    expect(message).toContain('PORT');
    expect(message).toContain('LOG_LEVEL');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('never echoes secrets in the error', () => {
    const schema = z.object({ SECRET_TOKEN: z.string().min(50) });
    expect(() => loadConfig(schema, { SECRET_TOKEN: 'hunter2' })).toThrow(/<redacted>/);
    expect(() => loadConfig(schema, { SECRET_TOKEN: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('rejects hostile topic prefixes', () => {
    expect(() => loadConfig(commonSchema, { KAFKA_TOPIC_PREFIX: '../x y' })).toThrow(/KAFKA_TOPIC_PREFIX/);
  });
});
