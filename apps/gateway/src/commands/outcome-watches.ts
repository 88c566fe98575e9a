import { agentpb, commandspb } from '@app/contracts';
import { toEpochMs } from '../ingest/epoch-time';
import { OUTCOME_ACTIONS } from './command-outcome';

export interface ObservedEvent {
  request: commandspb.CommandRequest;
  action: string;
  exitCode: string;
  containerId: string;
  eventTimeMs: number;
}

/**
 * The commands a gateway's streams are watched for: after a command is written to a stream (or the
 * owner asks a newer stream of the agent to watch), the container events that arrive on that
 * stream for the command's container are reported to the command log, where the owner reads the
 * outcome from them. Decoding happens only on streams with a watch, which are few and brief.
 */
export class OutcomeWatches {
  private readonly byStream = new Map<string, Map<string, commandspb.CommandRequest>>();

  add(streamId: string, request: commandspb.CommandRequest): void {
    let watches = this.byStream.get(streamId);
    if (!watches) this.byStream.set(streamId, (watches = new Map<string, commandspb.CommandRequest>()));
    watches.set(request.commandId, request);
  }

  has(streamId: string): boolean {
    return this.byStream.has(streamId);
  }

  /** The command is concluded: no stream needs to watch for it any more. */
  forget(commandId: string): void {
    for (const [streamId, watches] of this.byStream) {
      watches.delete(commandId);
      if (watches.size === 0) this.byStream.delete(streamId);
    }
  }

  dropStream(streamId: string): void {
    this.byStream.delete(streamId);
  }

  get size(): number {
    let n = 0;
    for (const w of this.byStream.values()) n += w.size;
    return n;
  }

  /** The watched commands one agent message (raw bytes from the stream) says something about. */
  match(streamId: string, bytes: Buffer): ObservedEvent[] {
    const watches = this.byStream.get(streamId);
    if (!watches) return [];
    let message: agentpb.AgentMessage;
    try {
      message = agentpb.AgentMessage.decode(bytes);
    } catch {
      return []; // the ingest path rejects it with the reason
    }
    const event = message.eventData;
    if (!event || (event.type && event.type !== 'container') || !OUTCOME_ACTIONS.has(event.action)) return [];
    const found: ObservedEvent[] = [];
    for (const request of watches.values()) {
      if (request.host !== message.host || !sameContainer(event, request)) continue;
      found.push({
        request,
        action: event.action,
        exitCode: event.attrs.exitCode ?? '',
        containerId: event.actorId,
        eventTimeMs: eventTime(event.timestamp),
      });
    }
    return found;
  }
}

function sameContainer(event: agentpb.ContainerEventData, request: commandspb.CommandRequest): boolean {
  const id = request.containerId;
  if (id && event.actorId && (event.actorId.startsWith(id) || id.startsWith(event.actorId))) return true;
  const name = stripSlash(request.containerName || request.container);
  return name !== '' && stripSlash(event.actorName || event.attrs.name || '') === name;
}

function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

function eventTime(raw: string): number {
  const t = toEpochMs(raw, Date.now(), 24 * 3600 * 1000);
  return t.ok ? t.ms : 0;
}
