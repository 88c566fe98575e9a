/** Headers carried by every record the platform writes (see ARCHITECTURE.md). */
export const HEADER = {
  tenantId: 'tenant-id',
  agentId: 'agent-id',
  messageId: 'message-id',
  receivedAt: 'received-at',
  gatewayId: 'gateway-id',
  schema: 'schema',
  /** Agent's own timestamp normalized to epoch ms (the value keeps the normalized one too). */
  agentTimestamp: 'agent-ts',
  /** DLQ only: why the record was rejected, and which data topic it was meant for. */
  dlqReason: 'dlq-reason',
  dlqDetail: 'dlq-detail',
  dlqSource: 'dlq-source',
} as const;

/** `schema` header values: message type and version. */
export const SCHEMA = {
  agentMessage: 'containeragent.AgentMessage/1',
  lifecycle: 'containeragent.events.v1.AgentLifecycleEvent/1',
  agentKey: 'containeragent.events.v1.AgentKeyEvent/1',
  commandLog: 'containeragent.events.v1.CommandLogRecord/1',
  commandStatus: 'containeragent.events.v1.CommandStatusChanged/1',
  alertLog: 'containeragent.events.v1.AlertLogRecord/1',
  alertRule: 'containeragent.events.v1.AlertRuleRecord/1',
  silence: 'containeragent.events.v1.SilenceRecord/1',
  rejectedAgentMessage: 'containeragent.AgentMessage.rejected/1',
} as const;

export type RecordHeaders = Record<string, string>;

/** Reads a header as text whatever form the Kafka client produced it in. */
export function headerText(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return headerText({ v: value[0] as unknown }, 'v');
  return typeof value === 'string' ? value : undefined;
}
