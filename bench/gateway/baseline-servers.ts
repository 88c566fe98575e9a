import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  ServerDuplexStream,
  ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { METHOD, PROTO_PATH } from './bench-common';

export interface CountingServer {
  port: number;
  received(): number;
  close(): Promise<void>;
}

/** Only DataStream, with bytes in and nothing decoded: what grpc-js itself can carry. */
const PASS_THROUGH_SERVICE = {
  dataStream: {
    path: METHOD.dataStream,
    requestStream: true,
    responseStream: true,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
} as unknown as ServiceDefinition;

/** How NestJS's default gRPC transport reads messages: proto-loader objects. */
function protoLoaderService(): ServiceDefinition {
  const definition = loadSync(PROTO_PATH, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = loadPackageDefinition(definition) as unknown as {
    containeragent: { AgentService: { service: ServiceDefinition } };
  };
  return pkg.containeragent.AgentService.service;
}

async function countingServer(service: ServiceDefinition): Promise<CountingServer> {
  let received = 0;
  const server = new Server();
  server.addService(service, {
    dataStream: (call: ServerDuplexStream<unknown, unknown>) => {
      call.on('data', () => received++);
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    port,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

export const startPassThroughServer = () => countingServer(PASS_THROUGH_SERVICE);
export const startProtoLoaderServer = () => countingServer(protoLoaderService());
