import type { KafkaMessage } from 'kafkajs';
import { agentpb, eventspb, HEADER, headerText, Topics } from '@app/contracts';
import type { EngineInput } from '../engine';

const { LifecycleKind } = eventspb;
type AgentWhat = Extract<EngineInput, { kind: 'agent' }>['what'];

const WHAT: Partial<Record<eventspb.LifecycleKind, AgentWhat>> = {
  [LifecycleKind.LIFECYCLE_KIND_REGISTERED]: 'registered',
  [LifecycleKind.LIFECYCLE_KIND_HEARTBEAT]: 'heartbeat',
  [LifecycleKind.LIFECYCLE_KIND_STREAM_OPENED]: 'stream_opened',
  [LifecycleKind.LIFECYCLE_KIND_STREAM_CLOSED]: 'stream_closed',
  [LifecycleKind.LIFECYCLE_KIND_ACTIVITY]: 'activity',
  [LifecycleKind.LIFECYCLE_KIND_OFFLINE]: 'offline',
};

/**
 * One input record → what the rules look at: a container event, one sample per container of a
 * stats message, a container list, an agent's lifecycle fact. Throws on a record it cannot read
 * (the caller counts and skips it). Times: the gateway normalized every timestamp to epoch ms and
 * put its receive time in the `received-at` header.
 */
export function decodeInput(topics: Topics, topic: string, message: KafkaMessage): EngineInput[] {
  if (!message.value) return [];
  if (topic === topics.lifecycle) return lifecycleInput(message.value);
  const tenantId = headerText(message.headers, HEADER.tenantId);
  const agentId = headerText(message.headers, HEADER.agentId);
  const receivedAtMs = Number(headerText(message.headers, HEADER.receivedAt));
  if (!tenantId || !agentId || !Number.isFinite(receivedAtMs)) {
    throw new Error('record without tenant-id, agent-id or received-at headers');
  }
  const m = agentpb.AgentMessage.decode(message.value);
  const eventTimeMs = Number(m.timestamp) > 0 ? Number(m.timestamp) : receivedAtMs;
  const base = { tenantId, agentId, host: m.host, receivedAtMs };
  if (topic === topics.events && m.eventData) {
    const e = m.eventData;
    const own = Number(e.timestamp);
    return [
      {
        ...base,
        kind: 'event',
        eventTimeMs: own > 0 ? scaleToMs(own) : eventTimeMs,
        event: { type: e.type, action: e.action, actorId: e.actorId, actorName: e.actorName, attrs: e.attrs },
      },
    ];
  }
  if (topic === topics.stats && m.statsData) {
    return m.statsData.stats.map((s) => ({
      ...base,
      kind: 'stats',
      eventTimeMs,
      stats: {
        id: s.id,
        name: s.name,
        cpuPercent: s.cpuPercent,
        memoryUsage: Number(s.memoryUsage),
        memoryLimit: Number(s.memoryLimit),
        memoryPercent: s.memoryPercent,
        networkRx: Number(s.networkRx),
        networkTx: Number(s.networkTx),
      },
    }));
  }
  if (topic === topics.list && m.listData) {
    return [
      {
        ...base,
        kind: 'list',
        containers: m.listData.containers.map((c) => ({
          id: c.id,
          name: c.name,
          image: c.image,
          state: c.state,
        })),
      },
    ];
  }
  return [];
}

function lifecycleInput(value: Buffer): EngineInput[] {
  const e = eventspb.AgentLifecycleEvent.decode(value);
  const what = WHAT[e.kind];
  if (!what || !e.agentId) return [];
  return [
    {
      kind: 'agent',
      tenantId: e.tenantId,
      agentId: e.agentId,
      agentName: e.agentName || undefined,
      receivedAtMs: Number(e.occurredAtMs),
      what,
    },
  ];
}

/** Docker event times come in seconds or nanoseconds (`time`, `timeNano`); the seed does not fix the unit. */
function scaleToMs(value: number): number {
  if (value < 1e11) return value * 1000;
  if (value < 1e14) return value;
  if (value < 1e17) return Math.floor(value / 1000);
  return Math.floor(value / 1e6);
}
