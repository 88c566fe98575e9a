import { agentpb } from '@app/contracts';

/** ServerMessage field `acked_count` (100, varint): its tag, already encoded. */
const ACKED_COUNT_TAG = [0xa0, 0x06];

/**
 * The ACK a stream sends every GATEWAY_ACK_INTERVAL_MS, encoded directly: `command` ACK (0) and
 * the empty strings are proto3 defaults and not written, so the message is just `acked_count`.
 * The same bytes as ServerMessage.encode (ack-message.spec.ts), without building the object.
 */
export function encodeAck(ackedCount: number): Buffer {
  const out = Buffer.allocUnsafe(ACKED_COUNT_TAG.length + 8);
  out[0] = ACKED_COUNT_TAG[0];
  out[1] = ACKED_COUNT_TAG[1];
  let at = 2;
  let rest = ackedCount;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return out.subarray(0, at);
}

/** The DataStream response serializer: ACKs arrive encoded; commands are ServerMessage objects. */
export function serializeServerMessage(message: agentpb.ServerMessage | Buffer): Buffer {
  return Buffer.isBuffer(message) ? message : Buffer.from(agentpb.ServerMessage.encode(message).finish());
}
