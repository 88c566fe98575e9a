import { agentpb, eventspb, HEADER } from '@app/contracts';
import { eventRows } from './events.projection';
import { lifecycleRows } from './lifecycle.projection';
import { ProjectionError, SourceRecord } from './source-record';
import { statsRows } from './stats.projection';

const headers = {
  [HEADER.tenantId]: 'acme',
  [HEADER.agentId]: 'ag_1',
  [HEADER.receivedAt]: '1764000000500',
  [HEADER.messageId]: 'm-1',
};
const record = (
  message: Partial<agentpb.AgentMessage>,
  h: Record<string, string> = headers,
): SourceRecord => ({
  partition: 2,
  offset: '41',
  value: agentpb.AgentMessage.encode(agentpb.AgentMessage.fromPartial(message)).finish(),
  headers: h,
});

describe('projections', () => {
  it('maps a stats message to one row per container with its source position', () => {
    const rows = statsRows(
      record({
        type: agentpb.DataType.CONTAINER_STATS,
        host: 'h',
        timestamp: '1764000000000',
        statsData: {
          stats: [
            {
              id: 'a',
              name: 'x',
              cpuPercent: 2.5,
              memoryUsage: '1',
              memoryLimit: '2',
              memoryPercent: 50,
              networkRx: '18446744073709551615',
              networkTx: '0',
            },
            agentpb.ContainerStats.fromPartial({ id: 'b' }),
          ],
        },
      }),
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      ts: 1764000000000,
      tenant_id: 'acme',
      agent_id: 'ag_1',
      host: 'h',
      container_id: 'a',
      container_name: 'x',
      cpu_percent: 2.5,
      memory_usage: '1',
      memory_limit: '2',
      memory_percent: 50,
      network_rx: '18446744073709551615',
      network_tx: '0',
      received_at: 1764000000500,
      message_id: 'm-1',
      _src_partition: 2,
      _src_offset: '41',
    });
  });

  it('falls back to the message time when an event has none', () => {
    const [row] = eventRows(
      record({
        type: agentpb.DataType.CONTAINER_EVENT,
        host: 'h',
        timestamp: '1764000000000',
        eventData: agentpb.ContainerEventData.fromPartial({
          action: 'die',
          timestamp: '0',
          attrs: { a: 'b' },
        }),
      }),
    );
    expect(row).toMatchObject({ ts: 1764000000000, action: 'die', attrs: { a: 'b' } });
  });

  it.each([
    ['garbage bytes', { ...record({}), value: Buffer.from([0x0a, 0xff]) }, /undecodable/],
    [
      'a payload of another type',
      record({ type: agentpb.DataType.CONTAINER_STATS, listData: { containers: [] } }),
      /without statsData/,
    ],
    ['missing tenant headers', record({ statsData: { stats: [] } }, {}), /tenant-id/],
  ])('refuses %s with a ProjectionError', (_label, input, message) => {
    expect(() => statsRows(input)).toThrow(ProjectionError);
    expect(() => statsRows(input)).toThrow(message);
  });

  it('maps lifecycle kinds to names and an absent agent time to null', () => {
    const value = eventspb.AgentLifecycleEvent.encode(
      eventspb.AgentLifecycleEvent.fromPartial({
        kind: eventspb.LifecycleKind.LIFECYCLE_KIND_HEARTBEAT,
        occurredAtMs: '1764000000000',
        agentTimeMs: '0',
      }),
    ).finish();
    const [row] = lifecycleRows({ partition: 0, offset: '1', value, headers });
    expect(row).toMatchObject({ kind: 'heartbeat', agent_time: null, tenant_id: 'acme', agent_id: 'ag_1' });
    const unknown = eventspb.AgentLifecycleEvent.encode(
      eventspb.AgentLifecycleEvent.fromPartial({ kind: 99 as eventspb.LifecycleKind }),
    ).finish();
    expect(() => lifecycleRows({ partition: 0, offset: '1', value: unknown, headers })).toThrow(
      /unknown lifecycle kind/,
    );
  });
});
