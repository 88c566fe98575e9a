/**
 * Stats records exactly as the gateway publishes them (apps/gateway/src/ingest): the agent's
 * AgentMessage bytes with agent_key removed and timestamp in epoch ms, key `agent_id/host`, and the
 * headers of record-headers.ts. Used to pre-fill a topic and, in the baseline, to build the rows.
 */
import { randomUUID } from 'node:crypto';
import { HEADER, RecordHeaders, SCHEMA } from '@app/contracts';
import { AgentKeyHasher, SecretHasher } from '@app/security';
import { agentHost, agentKey, BENCH_HASH_SECRET, encodeStatsMessage } from '../gateway/bench-common';

export const TENANT = 'default';
export const GATEWAY_ID = 'projector-bench';

export interface GatewayRecord {
  key: string;
  value: Buffer;
  headers: RecordHeaders;
}

/** Makes the records of `agents` agents taking turns, one stream per agent. */
export class StatsRecordSource {
  private readonly agentIds: string[];
  private readonly streams: string[];
  private readonly sent: number[];
  private readonly firstSampleMs = Date.now();
  private index = 0;

  constructor(private readonly agents: number) {
    const hasher = new AgentKeyHasher(new SecretHasher(BENCH_HASH_SECRET));
    this.agentIds = Array.from(
      { length: agents },
      (_, i) => hasher.principal(TENANT, hasher.keyHmac(agentKey(i))).agentId,
    );
    this.streams = Array.from({ length: agents }, () => randomUUID());
    this.sent = new Array<number>(agents).fill(0);
  }

  next(): GatewayRecord {
    const i = this.index++;
    const agent = i % this.agents;
    const host = agentHost(agent);
    // An empty agent_key is left out of the encoding, as the gateway's rewrite leaves it out. One
    // sample time per message of an agent: the projector keeps one row per container and sample time.
    const value = encodeStatsMessage('', host, i, String(this.firstSampleMs + this.sent[agent]));
    return {
      key: `${this.agentIds[agent]}/${host}`,
      value,
      headers: {
        [HEADER.tenantId]: TENANT,
        [HEADER.agentId]: this.agentIds[agent],
        [HEADER.messageId]: `${this.streams[agent]}:${++this.sent[agent]}`,
        [HEADER.receivedAt]: String(Date.now()),
        [HEADER.gatewayId]: GATEWAY_ID,
        [HEADER.schema]: SCHEMA.agentMessage,
      },
    };
  }
}
