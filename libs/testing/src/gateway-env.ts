/** Settings of a gateway started inside a test or bench process. */
export interface LocalGatewaySettings {
  brokers: string | undefined;
  /** AGENT_KEYS: the keys the gateway accepts. */
  agentKeys: string;
  /** AUTH_HASH_SECRET: fixed, so that agent ids can be computed outside the gateway and compared. */
  hashSecret: string;
  logLevel: string;
}

/** The environment of such a gateway: gRPC and ops HTTP on loopback, on ports the OS picks. */
export function localGatewayEnv(settings: LocalGatewaySettings): Record<string, string | undefined> {
  return {
    KAFKA_BROKERS: settings.brokers,
    GATEWAY_GRPC_HOST: '127.0.0.1',
    GATEWAY_GRPC_PORT: '0',
    GATEWAY_HTTP_PORT: '0',
    AGENT_KEYS: settings.agentKeys,
    AUTH_HASH_SECRET: settings.hashSecret,
    LOG_LEVEL: settings.logLevel,
  };
}
