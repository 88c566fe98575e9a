import type { ServerOptions as Http2ServerOptions } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/**
 * HTTP/2 options for every agent connection, chosen for many long-lived, mostly idle connections.
 * HPACK dynamic tables off in both directions: nghttp2 otherwise keeps, per connection, up to
 * 4 KiB of table entries each way plus their bookkeeping, filled by every Register and Heartbeat
 * (each `grpc-timeout` value is a new entry). Without them a unary call's headers travel as
 * literals (a few hundred bytes more per call); DataStream messages are DATA frames, unaffected.
 * Window sizes are left at their defaults: they allocate nothing for an idle stream.
 */
export const AGENT_CONNECTION_HTTP2_OPTIONS: Http2ServerOptions = {
  maxDeflateDynamicTableSize: 0,
  settings: { headerTableSize: 0 },
};

/**
 * grpc-js (~1.14) has no server option for these: it passes the `commonServerOptions` it builds in
 * its constructor to `http2.createServer` when it binds. Merges `options` into them; call before
 * `bindAsync`. False when grpc-js no longer has that field (the options are then not applied).
 */
export function applyHttp2SessionOptions(server: Server, options: Http2ServerOptions): boolean {
  const internal = server as unknown as { commonServerOptions?: Http2ServerOptions };
  const common = internal.commonServerOptions;
  if (typeof common !== 'object' || common === null) return false;
  internal.commonServerOptions = {
    ...common,
    ...options,
    settings: { ...common.settings, ...options.settings },
  };
  return true;
}
