import type { Message } from 'kafkajs';
import { HEADER } from '@app/contracts';
import type { SourceRecord } from '../projections/source-record';
import type { ProjectResult } from '../worker/worker-protocol';

/** DLQ records for what no row could be made of: the record as read, with where and why. */
export function deadLetterMessages(
  records: SourceRecord[],
  rejected: ProjectResult['rejected'],
  source: { topic: string; projection: string },
): Message[] {
  const byPosition = new Map(records.map((r) => [`${r.partition}:${r.offset}`, r]));
  return rejected.map(({ partition, offset, reason }) => {
    const record = byPosition.get(`${partition}:${offset}`)!;
    return {
      key: record.headers[HEADER.agentId] ?? null,
      value: Buffer.from(record.value),
      headers: {
        ...record.headers,
        [HEADER.dlqReason]: 'projection_failed',
        [HEADER.dlqDetail]: `${source.topic}[${partition}]@${offset}: ${reason}`.slice(0, 1024),
        [HEADER.dlqSource]: `projector:${source.projection}`,
      },
    };
  });
}
