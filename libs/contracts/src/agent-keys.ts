import { AgentKeyEvent, AgentKeyEventKind } from './generated/containeragent/events/v1/keys';

/** What a key record means at a given time; the gateway accepts `active` and `expiring` keys. */
export type AgentKeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

export function agentKeyStatus(event: AgentKeyEvent, nowMs: number): AgentKeyStatus {
  switch (event.kind) {
    case AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ISSUED:
      return 'active';
    case AgentKeyEventKind.AGENT_KEY_EVENT_KIND_ROTATED:
      return nowMs < Number(event.expiresAtMs) ? 'expiring' : 'expired';
    case AgentKeyEventKind.AGENT_KEY_EVENT_KIND_REVOKED:
      return 'revoked';
    case AgentKeyEventKind.AGENT_KEY_EVENT_KIND_UNSPECIFIED:
    case AgentKeyEventKind.UNRECOGNIZED:
      return 'revoked';
  }
}

export function acceptsCalls(status: AgentKeyStatus): boolean {
  return status === 'active' || status === 'expiring';
}

/**
 * Records of one key id are full states; a reader keeps the one with the highest revision, so a
 * record read late (from the topic, after the writer applied its own copy) never rolls it back.
 */
export function isNewer(candidate: AgentKeyEvent, current: AgentKeyEvent | undefined): boolean {
  return current === undefined || BigInt(candidate.revision) > BigInt(current.revision);
}

export { AgentKeyEvent, AgentKeyEventKind };
