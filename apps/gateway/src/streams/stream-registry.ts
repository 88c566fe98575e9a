import type { AgentPrincipal } from '../auth/key-registry';

export interface OpenStream {
  streamId: string;
  principal: AgentPrincipal;
  peer: string;
  since: number;
  /** Hosts this agent has sent data for on this stream (the targets a command may name). */
  hosts: Set<string>;
  /** Writes a ServerMessage down the stream; false when the stream is already closed. */
  send(message: { command: number; targetContainer: string; host: string }): boolean;
  /** Ends the stream with this status (after a final ACK of what is stored). */
  end(code: number, details: string): void;
}

export interface StreamListener {
  added(stream: OpenStream): void;
  removed(stream: OpenStream): void;
}

/**
 * The open DataStreams of this gateway, by stream and by agent. Command delivery looks up the
 * target stream here, and follows streams opening and closing (to tell the command log).
 */
export class StreamRegistry {
  private readonly byStream = new Map<string, OpenStream>();
  private readonly byAgent = new Map<string, Set<string>>();
  private readonly listeners: StreamListener[] = [];

  listen(listener: StreamListener): void {
    this.listeners.push(listener);
  }

  get(streamId: string): OpenStream | undefined {
    return this.byStream.get(streamId);
  }

  add(stream: OpenStream): void {
    this.listeners.forEach((l) => l.added(stream));
    this.byStream.set(stream.streamId, stream);
    const key = agentKey(stream.principal);
    let streams = this.byAgent.get(key);
    if (!streams) this.byAgent.set(key, (streams = new Set()));
    streams.add(stream.streamId);
  }

  remove(streamId: string): void {
    const stream = this.byStream.get(streamId);
    if (!stream) return;
    this.byStream.delete(streamId);
    const key = agentKey(stream.principal);
    const streams = this.byAgent.get(key);
    streams?.delete(streamId);
    if (streams?.size === 0) this.byAgent.delete(key);
    this.listeners.forEach((l) => l.removed(stream));
  }

  /** Streams of one agent within one tenant, newest first. */
  streamsOf(tenantId: string, agentId: string): OpenStream[] {
    const ids = this.byAgent.get(`${tenantId}/${agentId}`) ?? new Set<string>();
    return [...ids].map((id) => this.byStream.get(id)!).sort((a, b) => b.since - a.since);
  }

  get size(): number {
    return this.byStream.size;
  }

  /** Streams authenticated with one key. A scan: it runs on revocations only, which are rare. */
  streamsOfKey(keyId: string): OpenStream[] {
    return [...this.byStream.values()].filter((s) => s.principal.keyId === keyId);
  }

  all(): OpenStream[] {
    return [...this.byStream.values()];
  }
}

function agentKey(principal: AgentPrincipal): string {
  return `${principal.tenantId}/${principal.agentId}`;
}
