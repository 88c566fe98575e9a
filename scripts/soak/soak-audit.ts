import { Kafka, logLevel } from 'kafkajs';
import { agentpb } from '@app/contracts';

export interface TopicAudit {
  records: number;
  /** Distinct messages by the agent's payload (a resend or a retried batch counts once). */
  uniqueMessages: number;
  /** Distinct rows the projector must hold: stats and list per container, events once. */
  uniqueRows: number;
}

/** What a stats, events or list record stands for, by natural identity (see row-identity.ts). */
function identities(topicKind: 'stats' | 'events' | 'list', agentId: string, m: agentpb.AgentMessage) {
  const source = `${agentId}\u0000${m.host}`;
  switch (topicKind) {
    case 'stats':
      return {
        message: `${source}\u0000${m.timestamp}`,
        rows: m.statsData!.stats.map((s) => `${source}\u0000${s.id}\u0000${m.timestamp}`),
      };
    case 'events': {
      const e = m.eventData!;
      const ts = e.timestamp === '0' ? m.timestamp : e.timestamp;
      const row = `${source}\u0000${e.actorId}\u0000${e.type}\u0000${e.action}\u0000${ts}`;
      return { message: row, rows: [row] };
    }
    case 'list':
      return {
        message: `${source}\u0000${m.timestamp}`,
        rows: m.listData!.containers.map((c) => `${source}\u0000${c.id}\u0000${m.timestamp}`),
      };
  }
}

/** Reads a topic from the start to its end offsets and counts what it holds. */
export async function auditTopic(
  brokers: string,
  topic: string,
  kind: 'stats' | 'events' | 'list',
): Promise<TopicAudit> {
  const kafka = new Kafka({ clientId: 'soak-audit', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const high = new Map(ends.map((p) => [p.partition, BigInt(p.high)]));
  const open = new Set(ends.filter((p) => BigInt(p.high) > 0n).map((p) => p.partition));
  const messages = new Set<string>();
  const rows = new Set<string>();
  let records = 0;
  const consumer = kafka.consumer({ groupId: `soak-audit-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const seen = new Set<string>();
  if (open.size === 0) done();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const position = `${partition}:${message.offset}`;
      if (seen.has(position)) return;
      seen.add(position);
      records++;
      const decoded = agentpb.AgentMessage.decode(message.value!);
      const agentId = message.headers?.['agent-id']?.toString() ?? '';
      const id = identities(kind, agentId, decoded);
      messages.add(id.message);
      id.rows.forEach((r) => rows.add(r));
      if (BigInt(message.offset) + 1n >= (high.get(partition) ?? 0n)) {
        open.delete(partition);
        if (open.size === 0) done();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  return { records, uniqueMessages: messages.size, uniqueRows: rows.size };
}
