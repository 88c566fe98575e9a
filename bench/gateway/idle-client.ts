/** Idle mode of the load client: many quiet DataStreams whose agents send a Heartbeat periodically. */
import { ClientDuplexStream } from '@grpc/grpc-js';
import { agentpb } from '@app/contracts';
import * as c from './bench-common';
import { connect, isCancel, nextCommand, RawClient, send } from './client-runtime';

export async function runIdle(s: c.IdleSettings): Promise<void> {
  const failures: string[] = [];
  const streamErrors: string[] = [];
  let ok = 0;
  let failed = 0;
  let pending = 0;
  const timers: NodeJS.Timeout[] = [];
  const opened: { client: RawClient; call: ClientDuplexStream<Buffer, Buffer>; key: string }[] = [];

  const heartbeat = (client: RawClient, key: string) => {
    const request = agentpb.HeartbeatRequest.encode({
      agentKey: key,
      timestamp: String(Date.now()),
    }).finish();
    pending++;
    client.makeUnaryRequest(
      c.METHOD.heartbeat,
      c.identity,
      c.identity,
      Buffer.from(request),
      c.bearer(key),
      { deadline: Date.now() + 10_000 },
      (error, response) => {
        pending--;
        const success =
          !error && response !== undefined && agentpb.HeartbeatResponse.decode(response).success;
        if (success) ok++;
        else if (++failed <= 5) failures.push(`${key}: ${error?.message ?? 'success=false'}`);
      },
    );
  };

  // Opening in slices keeps 500 simultaneous TCP+HTTP/2 handshakes from looking like a SYN flood.
  const SLICE = 50;
  for (let first = 0; first < s.agents; first += SLICE) {
    const slice = Array.from(
      { length: Math.min(SLICE, s.agents - first) },
      (_, j) => s.firstAgent + first + j,
    );
    await Promise.all(
      slice.map(async (index) => {
        const key = c.agentKey(index);
        const client = c.rawClient(s.port, index, s.hosts[index % s.hosts.length]);
        // Tens of thousands of handshakes queue behind the gateway's work on shared CPUs.
        await connect(client, 60_000);
        const call = client.makeBidiStreamRequest(c.METHOD.dataStream, c.identity, c.identity, c.bearer(key));
        call.on('error', (e: { code?: number; message: string }) => {
          if (!isCancel(e) && streamErrors.length < 5) streamErrors.push(`${key}: ${e.message}`);
        });
        opened.push({ client, call, key });
      }),
    );
  }
  // Heartbeats start once this process's streams are open (spread over one interval), so that
  // opening tens of thousands of streams does not compete with them for the shared CPUs.
  for (const { client, key } of opened) {
    timers.push(
      setTimeout(() => {
        heartbeat(client, key);
        timers.push(setInterval(() => heartbeat(client, key), s.heartbeatEveryMs));
      }, Math.random() * s.heartbeatEveryMs),
    );
  }
  send({ type: 'opened', count: opened.length });
  await nextCommand('stop');

  timers.forEach((t) => clearTimeout(t));
  const deadline = Date.now() + 12_000;
  while (pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (pending > 0) failures.push(`${pending} heartbeats still unanswered at the end`);
  failed += pending;
  for (const { client, call } of opened) {
    call.cancel();
    client.close();
  }
  send(
    {
      type: 'idle-result',
      opened: opened.length,
      heartbeatsOk: ok,
      heartbeatsFailed: failed,
      failures,
      streamErrors,
    },
    () => process.exit(0),
  );
}
