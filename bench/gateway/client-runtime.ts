/** What both kinds of load client need: talking to the bench over IPC, connecting a channel. */
import { status } from '@grpc/grpc-js';
import * as c from './bench-common';

export type RawClient = ReturnType<typeof c.rawClient>;

export function send(message: c.FromClient, then?: () => void): void {
  process.send!(message, undefined, undefined, () => then?.());
}

export function nextCommand(type: c.ToClient['type']): Promise<void> {
  return new Promise((resolve) => {
    const listener = (m: c.ToClient) => {
      if (m.type !== type) return;
      process.off('message', listener);
      resolve();
    };
    process.on('message', listener);
  });
}

export function connect(client: RawClient, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (e) =>
      e ? reject(new Error(`connect: ${e.message}`)) : resolve(),
    ),
  );
}

/** Our own cancel at the end of a run is not an error. */
export const isCancel = (e: { code?: number }) => e.code === status.CANCELLED;
