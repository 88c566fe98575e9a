import type { Condition, RuleDefinition } from '@app/alerting';

/**
 * One input of a partition, already decoded by the runtime. `eventTimeMs` is the agent's time
 * (normalized to epoch ms); `receivedAtMs` is the gateway's receive time (`received-at` header),
 * the clock of absence rules and quiet periods.
 */
export type EngineInput =
  | {
      kind: 'event';
      tenantId: string;
      agentId: string;
      host: string;
      receivedAtMs: number;
      eventTimeMs: number;
      event: {
        type: string;
        action: string;
        actorId: string;
        actorName: string;
        attrs: Record<string, string>;
      };
    }
  | {
      kind: 'stats';
      tenantId: string;
      agentId: string;
      host: string;
      receivedAtMs: number;
      eventTimeMs: number;
      stats: {
        id: string;
        name: string;
        cpuPercent: number;
        memoryUsage: number;
        memoryLimit: number;
        memoryPercent: number;
        networkRx: number;
        networkTx: number;
      };
    }
  | {
      kind: 'list';
      tenantId: string;
      agentId: string;
      host: string;
      receivedAtMs: number;
      containers: { id: string; name: string; image: string; state: string }[];
    }
  | {
      kind: 'agent';
      tenantId: string;
      agentId: string;
      agentName?: string;
      receivedAtMs: number;
      what: 'registered' | 'heartbeat' | 'stream_opened' | 'stream_closed' | 'activity' | 'offline';
    };

export type EventInput = Extract<EngineInput, { kind: 'event' }>;
export type StatsInput = Extract<EngineInput, { kind: 'stats' }>;
export type ListInput = Extract<EngineInput, { kind: 'list' }>;
export type AgentInput = Extract<EngineInput, { kind: 'agent' }>;

export interface EngineRule {
  definition: RuleDefinition;
  /** The compiled `when`; absent when `when` is empty (then every input matches). */
  condition?: Condition;
}

export type AlertState = 'pending' | 'firing' | 'resolved';

export interface AlertChange {
  fingerprint: string;
  ruleName: string;
  state: AlertState;
  /** Event time of the transition (receive time for absence rules and clock-driven resolves). */
  atMs: number;
  /** Pending: when the condition started to hold; firing/resolved: when it started firing. */
  startsAtMs: number;
  /** Resolved only: when it ended. */
  endsAtMs?: number;
  /** Rule labels + alertname, severity, tenant, agent_id, host, container (container-level rules). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  tenantId: string;
  agentId: string;
  host: string;
  containerId: string;
  containerName: string;
  value: string;
}

export interface EngineOptions {
  /** How far behind its series' newest event time an event or sample may arrive and still count. */
  maxLatenessMs: number;
  /** Cap on tracked series, agents and containers per partition (default 200,000). */
  maxSeries?: number;
}

export interface EngineHooks {
  /** A rule failed at run time (CEL error, non-bool result, exception); counted on the rule's status. */
  ruleError(ruleName: string, error: string): void;
  /** An input older than its series' bound of lateness; it was ignored. */
  late(input: EngineInput): void;
  /** A new series, agent or container was not tracked because the partition is at its cap. */
  seriesCapped?(ruleName: string): void;
}

/** Where an alert is: what its labels and the AlertChange fields other than state and times say. */
export interface AlertIdentity {
  fingerprint: string;
  ruleName: string;
  labels: Record<string, string>;
  tenantId: string;
  agentId: string;
  host: string;
  containerId: string;
  containerName: string;
}

export type Emit = (change: AlertChange) => void;
