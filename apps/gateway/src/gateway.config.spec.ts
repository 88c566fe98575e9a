import { ConfigError, loadConfig } from '@app/config';
import { gatewaySchema } from './gateway.config';

describe('gateway configuration', () => {
  it('starts from defaults plus agent keys', () => {
    const config = loadConfig(gatewaySchema, { AGENT_KEYS: 'ak_aaaaaaaaaaaa' });
    expect(config.GATEWAY_GRPC_PORT).toBe(50051);
    expect(config.GATEWAY_MAX_MESSAGE_BYTES).toBe(4 * 1024 * 1024);
  });

  it.each([
    [{}, 'AGENT_KEYS'],
    [{ AGENT_KEYS: 'ak_aaaaaaaaaaaa', GATEWAY_GRPC_PORT: 'http' }, 'GATEWAY_GRPC_PORT'],
    [{ AGENT_KEYS: 'ak_aaaaaaaaaaaa', GATEWAY_MAX_MESSAGE_BYTES: '-1' }, 'GATEWAY_MAX_MESSAGE_BYTES'],
    [{ AGENT_KEYS: 'ak_aaaaaaaaaaaa', GATEWAY_TLS_KEY: '/k.pem' }, 'GATEWAY_TLS_CERT'],
    [{ AGENT_KEYS: 'ak_aaaaaaaaaaaa', KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS'],
  ])('names the bad variable (%j)', (env, variable) => {
    expect(() => loadConfig(gatewaySchema, env)).toThrow(ConfigError);
    expect(() => loadConfig(gatewaySchema, env)).toThrow(variable);
  });
});
