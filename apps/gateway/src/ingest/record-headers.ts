import { HEADER, RecordHeaders } from '@app/contracts';
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
    [HEADER.tenantId]: origin.principal.tenantId,
    [HEADER.agentId]: origin.principal.agentId,
    [HEADER.messageId]: origin.messageId,
    [HEADER.receivedAt]: String(origin.receivedAtMs),
    [HEADER.gatewayId]: origin.gatewayId,
    [HEADER.schema]: schema,
  };
}
