import { agentpb, commandspb, eventspb, HEADER } from '@app/contracts';
import { commandRows } from './commands.projection';
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

  describe('command status transitions', () => {
    const { CommandAction, CommandStatus } = commandspb;
    const request = {
      commandId: 'cmd_1',
      tenantId: 'acme',
      agentId: 'ag_1',
      host: 'docker-a',
      container: 'web',
      containerId: 'c'.repeat(64),
      containerName: 'web',
      action: CommandAction.COMMAND_ACTION_RESTART,
      requestedAtMs: '1764000000000',
      expiresAtMs: '1764000300000',
      requestedBy: 'tok_ab12',
      idempotencyKey: 'k',
      requestHash: 'h',
    };
    const change = (
      partial: Partial<commandspb.CommandStatusChanged> = {},
      h: Record<string, string> = {},
    ) => ({
      partition: 1,
      offset: '7',
      value: commandspb.CommandStatusChanged.encode(
        commandspb.CommandStatusChanged.fromPartial({
          eventId: 'ev_1',
          commandId: 'cmd_1',
          status: CommandStatus.COMMAND_STATUS_DELIVERED,
          atMs: '1764000001000',
          writer: 'gw-1',
          command: request,
          streamId: 'st_1',
          gatewayId: 'gw-1',
          ...partial,
        }),
      ).finish(),
      headers: h,
    });

    it('maps a transition to one row carrying its request, taking tenant and agent from the request', () => {
      expect(commandRows(change())).toEqual([
        {
          ts: 1764000001000,
          tenant_id: 'acme',
          agent_id: 'ag_1',
          command_id: 'cmd_1',
          status: 'delivered',
          action: 'RESTART',
          host: 'docker-a',
          container: 'web',
          container_id: 'c'.repeat(64),
          container_name: 'web',
          requested_at: 1764000000000,
          expires_at: 1764000300000,
          requested_by: 'tok_ab12',
          detail: '',
          writer: 'gw-1',
          gateway_id: 'gw-1',
          stream_id: 'st_1',
          event_id: 'ev_1',
          received_at: 1764000001000,
          message_id: 'ev_1',
          _src_partition: 1,
          _src_offset: '7',
        },
      ]);
      const [withHeaders] = commandRows(change({}, headers));
      expect(withHeaders).toMatchObject({ tenant_id: 'acme', received_at: 1764000000500, message_id: 'm-1' });
    });

    it.each([
      [CommandStatus.COMMAND_STATUS_PENDING, 'pending'],
      [CommandStatus.COMMAND_STATUS_SUCCEEDED, 'succeeded'],
      [CommandStatus.COMMAND_STATUS_FAILED, 'failed'],
      [CommandStatus.COMMAND_STATUS_TIMED_OUT, 'timed_out'],
      [CommandStatus.COMMAND_STATUS_EXPIRED, 'expired'],
    ])('names status %s %s', (status, name) => {
      expect(commandRows(change({ status }))[0].status).toBe(name);
    });

    it.each([
      ['garbage bytes', { ...change(), value: Buffer.from([0x0a, 0xff]) }, /undecodable/],
      ['no request', change({ command: undefined }), /without its command request/],
      [
        'an unknown status',
        change({ status: CommandStatus.COMMAND_STATUS_UNSPECIFIED }),
        /unknown command status/,
      ],
      [
        'an unknown action',
        change({ command: { ...request, action: CommandAction.COMMAND_ACTION_UNSPECIFIED } }),
        /unknown command action/,
      ],
      ['no tenant', change({ command: { ...request, tenantId: '' } }), /without a tenant id/],
      [
        'a header of another tenant',
        change({}, { [HEADER.tenantId]: 'globex' }),
        /differs from the tenant-id header/,
      ],
      ['no time', change({ atMs: '0' }), /without at_ms/],
      ['two command ids', change({ commandId: 'cmd_2' }), /differs from its request/],
    ])('refuses %s with a ProjectionError', (_label, input, message) => {
      expect(() => commandRows(input)).toThrow(ProjectionError);
      expect(() => commandRows(input)).toThrow(message);
    });
  });
});
