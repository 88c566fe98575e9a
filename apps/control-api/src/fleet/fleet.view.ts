import { agentpb, eventspb, HEADER, headerText } from '@app/contracts';
import type { FollowedRecord } from '@app/kafka';

const { LifecycleKind } = eventspb;

interface HostContainers {
  reportedAtMs: number;
  containers: agentpb.ContainerInfo[];
}

export interface AgentState {
  tenantId: string;
  agentId: string;
  name: string;
  keyId: string;
  hosts: { name: string; addr: string }[];
  lastSeenMs: number;
  streams: Map<string, { gatewayId: string; sinceMs: number }>;
  containers: Map<string, HostContainers>;
}

/**
 * The fleet as the lifecycle and list topics tell it: who registered (name, hosts, key), when each
 * agent was last heard of (any lifecycle event, or a container list), its open streams, and the
 * latest container list per host. Built in memory from the topics' start at every boot; never
 * asked from a gateway.
 *
 * Streams are known by their opened/closed events: a gateway that dies without closing them
 * leaves them listed until the agent opens a new one or goes offline (offline agents list none).
 */
export class FleetView {
  private readonly agents = new Map<string, AgentState>();

  constructor(private readonly topics: { lifecycle: string; list: string }) {}

  apply(record: FollowedRecord): void {
    if (record.topic === this.topics.lifecycle) this.applyLifecycle(record);
    else if (record.topic === this.topics.list) this.applyList(record);
  }

  get(tenantId: string | undefined, agentId: string): AgentState | undefined {
    const found = this.agents.get(agentId);
    return found && (tenantId === undefined || found.tenantId === tenantId) ? found : undefined;
  }

  /** Agents of `tenantId` (every tenant if undefined) in agent-id order. */
  list(tenantId: string | undefined): AgentState[] {
    return [...this.agents.values()]
      .filter((a) => tenantId === undefined || a.tenantId === tenantId)
      .sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  }

  get size(): number {
    return this.agents.size;
  }

  private applyLifecycle(record: FollowedRecord): void {
    if (!record.message.value) return;
    const event = eventspb.AgentLifecycleEvent.decode(record.message.value);
    const agent = this.agent(event.tenantId, event.agentId);
    const at = Number(event.occurredAtMs);
    if (event.keyId) agent.keyId = event.keyId;
    switch (event.kind) {
      case LifecycleKind.LIFECYCLE_KIND_REGISTERED:
        agent.name = event.agentName;
        agent.hosts = event.hosts.map((h) => ({ name: h.name, addr: h.addr }));
        break;
      case LifecycleKind.LIFECYCLE_KIND_STREAM_OPENED:
        agent.streams.set(event.streamId, { gatewayId: event.gatewayId, sinceMs: at });
        break;
      case LifecycleKind.LIFECYCLE_KIND_STREAM_CLOSED:
        agent.streams.delete(event.streamId);
        break;
      case LifecycleKind.LIFECYCLE_KIND_HEARTBEAT:
      case LifecycleKind.LIFECYCLE_KIND_ACTIVITY:
      case LifecycleKind.LIFECYCLE_KIND_OFFLINE:
      case LifecycleKind.LIFECYCLE_KIND_UNSPECIFIED:
      case LifecycleKind.UNRECOGNIZED:
        break;
    }
    if (event.kind !== LifecycleKind.LIFECYCLE_KIND_OFFLINE)
      agent.lastSeenMs = Math.max(agent.lastSeenMs, at);
  }

  private applyList(record: FollowedRecord): void {
    const headers = record.message.headers;
    const tenantId = headerText(headers, HEADER.tenantId);
    const agentId = headerText(headers, HEADER.agentId);
    const receivedAt = Number(headerText(headers, HEADER.receivedAt));
    if (!tenantId || !agentId || !record.message.value || !Number.isFinite(receivedAt)) return;
    const message = agentpb.AgentMessage.decode(record.message.value);
    const agent = this.agent(tenantId, agentId);
    const known = agent.containers.get(message.host);
    if (!known || known.reportedAtMs <= receivedAt) {
      agent.containers.set(message.host, {
        reportedAtMs: receivedAt,
        containers: message.listData?.containers ?? [],
      });
    }
    agent.lastSeenMs = Math.max(agent.lastSeenMs, receivedAt);
  }

  private agent(tenantId: string, agentId: string): AgentState {
    let agent = this.agents.get(agentId);
    if (!agent) {
      agent = {
        tenantId,
        agentId,
        name: '',
        keyId: '',
        hosts: [],
        lastSeenMs: 0,
        streams: new Map(),
        containers: new Map(),
      };
      this.agents.set(agentId, agent);
    }
    return agent;
  }
}
