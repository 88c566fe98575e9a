import { HEADER, RecordHeaders } from '@app/contracts';
import { PackedHeaders } from '@app/kafka';
import type { AgentPrincipal } from '../auth/key-registry';

export interface MessageOrigin {
  principal: AgentPrincipal;
  gatewayId: string;
  messageId: string;
  receivedAtMs: number;
}

/** The headers every record carries (ARCHITECTURE.md): who sent it, when, through which gateway. */
export function recordHeaders(origin: MessageOrigin, schema: string): RecordHeaders {
  return {
    ...streamHeaders(origin.principal, origin.gatewayId, schema),
    ...messageHeaders(origin.messageId, origin.receivedAtMs),
  };
}

/** The part of recordHeaders that is the same for every message of a stream. */
export function streamHeaders(principal: AgentPrincipal, gatewayId: string, schema: string): RecordHeaders {
  return {
    [HEADER.tenantId]: principal.tenantId,
    [HEADER.agentId]: principal.agentId,
    [HEADER.gatewayId]: gatewayId,
    [HEADER.schema]: schema,
  };
}

/** The part of recordHeaders that differs per message. */
export function messageHeaders(messageId: string, receivedAtMs: number): RecordHeaders {
  return { [HEADER.messageId]: messageId, [HEADER.receivedAt]: String(receivedAtMs) };
}

/** A stream's part, encoded once for all its records. */
export const packedStreamHeaders = (principal: AgentPrincipal, gatewayId: string, schema: string) =>
  new PackedHeaders(streamHeaders(principal, gatewayId, schema));
