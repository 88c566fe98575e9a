import { connect, ClientHttp2Session, constants } from 'node:http2';
import { Server, ServerCredentials, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { AGENT_CONNECTION_HTTP2_OPTIONS, applyHttp2SessionOptions } from './http2-session-options';

const PATH = '/test.Echo/Echo';
const identity = (b: Buffer) => b;

/** A grpc-js server with one unary method, optionally with the agent-connection HTTP/2 options. */
async function startServer(apply: boolean): Promise<{ server: Server; port: number; applied: boolean }> {
  const server = new Server();
  const applied = apply && applyHttp2SessionOptions(server, AGENT_CONNECTION_HTTP2_OPTIONS);
  server.addService(
    {
      echo: {
        path: PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      echo: (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => done(null, call.request),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { server, port, applied };
}

/** One gRPC unary call over a raw HTTP/2 session (so that the session's HPACK state can be read). */
function call(session: ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '9999m',
      'x-agent': 'ak_0123456789abcdefghijklmnop',
    });
    stream.on('error', reject);
    stream.on('trailers', (trailers) =>
      trailers['grpc-status'] === '0'
        ? resolve()
        : reject(new Error(`grpc-status ${trailers['grpc-status']}`)),
    );
    stream.resume();
    stream.end(Buffer.from([0, 0, 0, 0, 1, 42]));
  });
}

/** The client's HPACK tables mirror the server's: its inflater the server's encoder, and vice versa. */
async function tablesAfterTwoCalls(apply: boolean) {
  const { server, port, applied } = await startServer(apply);
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    const settings = await new Promise<{ headerTableSize?: number }>((r) =>
      session.once('remoteSettings', r),
    );
    await call(session);
    await call(session);
    const state = session.state;
    return {
      applied,
      advertisedHeaderTableSize: settings.headerTableSize,
      serverEncoderTable: state.inflateDynamicTableSize,
      serverDecoderTable: state.deflateDynamicTableSize,
    };
  } finally {
    session.close();
    server.forceShutdown();
  }
}

describe('agent connection HTTP/2 options', () => {
  it('turn the HPACK dynamic tables off in both directions (grpc-js still takes them)', async () => {
    expect(await tablesAfterTwoCalls(true)).toEqual({
      applied: true,
      advertisedHeaderTableSize: 0,
      serverEncoderTable: 0,
      serverDecoderTable: 0,
    });
  });

  it('are needed: by default both tables fill', async () => {
    const defaults = await tablesAfterTwoCalls(false);
    expect(defaults.advertisedHeaderTableSize).toBe(4096);
    expect(defaults.serverEncoderTable).toBeGreaterThan(0);
    expect(defaults.serverDecoderTable).toBeGreaterThan(0);
  });
});
