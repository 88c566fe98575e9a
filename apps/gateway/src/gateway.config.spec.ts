import { ConfigError, loadConfig } from '@app/config';
import { gatewaySchema } from './gateway.config';

const KEYS = 'ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SECRET = '0123456789abcdef0123456789abcdef';
const BASE = { AGENT_KEYS: KEYS, AUTH_HASH_SECRET: SECRET };

describe('gateway configuration', () => {
  it('starts from defaults plus agent keys and a hash secret', () => {
    const config = loadConfig(gatewaySchema, BASE);
    expect(config.GATEWAY_GRPC_PORT).toBe(50051);
    expect(config.GATEWAY_MAX_MESSAGE_BYTES).toBe(4 * 1024 * 1024);
    expect(config.GATEWAY_AUTH_FAILURE_BURST).toBe(20);
    expect(config.GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND).toBe(1);
    expect(config.GATEWAY_AUTH_THROTTLE_DELAY_MS).toBe(1000);
  });

  it('needs no AGENT_KEYS: issued keys from the keys topic may be the only ones', () => {
    const config = loadConfig(gatewaySchema, { AUTH_HASH_SECRET: SECRET });
    expect([config.AGENT_KEYS, config.AGENT_KEYS_FILE]).toEqual([undefined, undefined]);
  });

  it('accepts a fractional refill rate', () => {
    const config = loadConfig(gatewaySchema, { ...BASE, GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND: '0.2' });
    expect(config.GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND).toBe(0.2);
  });

  it.each([
    [{ AGENT_KEYS: KEYS }, 'AUTH_HASH_SECRET: required (generate one with: openssl rand -hex 32)'],
    [{ ...BASE, AUTH_HASH_SECRET: SECRET.slice(1) }, 'AUTH_HASH_SECRET: must be at least 32 characters'],
    [{ ...BASE, GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND: '0' }, 'GATEWAY_AUTH_FAILURE_REFILL_PER_SECOND'],
    [{ ...BASE, GATEWAY_AUTH_FAILURE_BURST: '0' }, 'GATEWAY_AUTH_FAILURE_BURST'],
    [{ ...BASE, GATEWAY_GRPC_PORT: 'http' }, 'GATEWAY_GRPC_PORT'],
    [{ ...BASE, GATEWAY_MAX_MESSAGE_BYTES: '-1' }, 'GATEWAY_MAX_MESSAGE_BYTES'],
    [{ ...BASE, GATEWAY_TLS_KEY: '/k.pem' }, 'GATEWAY_TLS_CERT'],
    [{ ...BASE, KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS'],
  ])('names the bad variable (%j)', (env, variable) => {
    expect(() => loadConfig(gatewaySchema, env)).toThrow(ConfigError);
    expect(() => loadConfig(gatewaySchema, env)).toThrow(variable);
  });

  it('never echoes the hash secret', () => {
    const short = 'short-secret-value';
    expect(() => loadConfig(gatewaySchema, { ...BASE, AUTH_HASH_SECRET: short })).not.toThrow(short);
  });
});
