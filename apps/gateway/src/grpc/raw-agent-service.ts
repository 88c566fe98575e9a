import type { ServiceDefinition } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import { serializeServerMessage } from '../streams/ack-message';

/**
 * The seed's AgentService, except that requests arrive as raw bytes: the gateway decodes them
 * itself, so a malformed message becomes a DLQ record or INVALID_ARGUMENT instead of a transport
 * error, and DataStream can forward the agent's bytes without re-encoding them. DataStream's ACKs
 * leave already encoded (encodeAck).
 */
export const RAW_AGENT_SERVICE: ServiceDefinition = Object.fromEntries(
  Object.entries(agentpb.AgentServiceService).map(([name, method]) => [
    name,
    {
      ...method,
      requestDeserialize: (bytes: Buffer) => bytes,
      ...(method.responseStream ? { responseSerialize: serializeServerMessage } : {}),
    },
  ]),
);
