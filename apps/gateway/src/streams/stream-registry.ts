import type { AgentPrincipal } from '../auth/key-registry';

export interface OpenStream {
  streamId: string;
  principal: AgentPrincipal;
  peer: string;
  since: number;
  /** Hosts this agent has sent data for on this stream (the targets a command may name); not tracked yet. */
  hosts: ReadonlySet<string>;
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
 * The open DataStreams of this gateway, by stream. Command delivery looks up the target stream
 * here, and follows streams opening and closing (to tell the command log). One map entry per
 * stream and no other index: tens of thousands of idle agents each pay for whatever is kept here.
 */
export class StreamRegistry {
  private readonly byStream = new Map<string, OpenStream>();
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
  }

  remove(streamId: string): void {
    const stream = this.byStream.get(streamId);
    if (!stream) return;
    this.byStream.delete(streamId);
    this.listeners.forEach((l) => l.removed(stream));
  }

  /** Streams of one agent within one tenant, newest first. A scan: no hot path asks this. */
  streamsOf(tenantId: string, agentId: string): OpenStream[] {
    return [...this.byStream.values()]
      .filter((s) => s.principal.agentId === agentId && s.principal.tenantId === tenantId)
      .sort((a, b) => b.since - a.since);
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
