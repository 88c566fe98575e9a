import { credentials, Metadata, ServiceError } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';

export { statsMessage } from '@app/testing';

export type Client = agentpb.AgentServiceClient;

/** A client generated from the seed proto, as a deployed agent would be. */
export function agentClient(port: number): Client {
  return new agentpb.AgentServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
}

export function bearer(key?: string, raw?: string): Metadata {
  const metadata = new Metadata();
  if (raw !== undefined) metadata.set('authorization', raw);
  else if (key !== undefined) metadata.set('authorization', `Bearer ${key}`);
  return metadata;
}

export function register(client: Client, metadata: Metadata, request: Partial<agentpb.RegisterRequest>) {
  return new Promise<agentpb.RegisterResponse>((resolve, reject) =>
    client.register(agentpb.RegisterRequest.fromPartial(request), metadata, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

export function heartbeat(client: Client, metadata: Metadata, request: Partial<agentpb.HeartbeatRequest>) {
  return new Promise<agentpb.HeartbeatResponse>((resolve, reject) =>
    client.heartbeat(agentpb.HeartbeatRequest.fromPartial(request), metadata, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

export interface StreamResult {
  code: number;
  details: string;
  acks: number[];
  commands: agentpb.ServerMessage[];
}

/** Opens a DataStream, writes the messages, half-closes, and resolves with the final status and ACKs. */
export function streamMessages(
  client: Client,
  metadata: Metadata,
  messages: Partial<agentpb.AgentMessage>[],
  options: { halfClose?: boolean; onOpen?: (write: (m: Partial<agentpb.AgentMessage>) => void) => void } = {},
): Promise<StreamResult> {
  return new Promise((resolve) => {
    const call = client.dataStream(metadata);
    const result: StreamResult = { code: -1, details: '', acks: [], commands: [] };
    call.on('data', (m: agentpb.ServerMessage) => {
      if (m.command === agentpb.CommandType.ACK) result.acks.push(Number(m.ackedCount ?? 0));
      else result.commands.push(m);
    });
    call.on('error', () => undefined);
    call.on('status', (s) => {
      result.code = s.code;
      result.details = s.details;
      resolve(result);
    });
    const write = (m: Partial<agentpb.AgentMessage>) => call.write(agentpb.AgentMessage.fromPartial(m));
    messages.forEach(write);
    options.onOpen?.(write);
    if (options.halfClose !== false) call.end();
  });
}

export function expectGrpcError(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: ServiceError) => e,
  );
}
