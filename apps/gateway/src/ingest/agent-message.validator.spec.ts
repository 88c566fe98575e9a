import { agentpb } from '@app/contracts';
import { validateAgentMessage } from './agent-message.validator';

const ctx = { nowMs: Date.UTC(2026, 0, 1), maxFutureSkewMs: 86_400_000, maxStringBytes: 64, maxListItems: 3 };
const base = (patch: Partial<agentpb.AgentMessage>) =>
  agentpb.AgentMessage.fromPartial({
    agentKey: 'k',
    type: agentpb.DataType.CONTAINER_STATS,
    host: 'h',
    timestamp: '1',
    ...patch,
  });
const stats = (patch: Partial<agentpb.ContainerStats>) =>
  base({ statsData: { stats: [agentpb.ContainerStats.fromPartial({ id: 'a', ...patch })] } });

describe('validateAgentMessage', () => {
  it('accepts a well-formed message of each type', () => {
    const { DataType } = agentpb;
    expect(validateAgentMessage(stats({ cpuPercent: 150, memoryPercent: 99 }), ctx)).toBeUndefined();
    expect(
      validateAgentMessage(base({ type: DataType.CONTAINER_LIST, listData: { containers: [] } }), ctx),
    ).toBeUndefined();
    expect(
      validateAgentMessage(base({ type: DataType.CONTAINER_INSPECT, inspectData: { inspects: [] } }), ctx),
    ).toBeUndefined();
    const event = {
      type: 'container',
      action: 'die',
      actorId: 'a',
      actorName: 'n',
      timestamp: String(ctx.nowMs * 1_000_000),
      attrs: { ключ: '値' },
    };
    expect(
      validateAgentMessage(base({ type: DataType.CONTAINER_EVENT, eventData: event }), ctx),
    ).toBeUndefined();
  });

  it.each([
    ['missing_payload', base({})],
    ['type_mismatch', base({ listData: { containers: [] } })],
    ['unknown_type', base({ type: 42 as agentpb.DataType, statsData: { stats: [] } })],
    ['invalid_number', stats({ cpuPercent: NaN })],
    ['invalid_number', stats({ cpuPercent: -0.1 })],
    ['invalid_number', stats({ memoryPercent: -Infinity })],
    ['invalid_number', stats({ cpuPercent: 1e12 })],
    ['string_too_long', stats({ name: 'x'.repeat(65) })],
    ['string_too_long', stats({ name: '한'.repeat(22) })],
    [
      'list_too_long',
      base({ statsData: { stats: [{}, {}, {}, {}].map((s) => agentpb.ContainerStats.fromPartial(s)) } }),
    ],
    ['invalid_host', stats({}) && base({ host: 'a\u0000b', statsData: { stats: [] } })],
    [
      'absurd_timestamp',
      base({
        type: agentpb.DataType.CONTAINER_EVENT,
        eventData: agentpb.ContainerEventData.fromPartial({ timestamp: '-5' }),
      }),
    ],
  ])('rejects with %s', (reason, message) => {
    expect(validateAgentMessage(message, ctx)?.reason).toBe(reason);
  });

  it('bounds map sizes and map keys too', () => {
    const labels = { a: '1', b: '2', c: '3', d: '4' };
    const inspect = base({
      type: agentpb.DataType.CONTAINER_INSPECT,
      inspectData: { inspects: [agentpb.ContainerInspect.fromPartial({ config: { labels } })] },
    });
    expect(validateAgentMessage(inspect, ctx)?.reason).toBe('list_too_long');
    const longKey = base({
      type: agentpb.DataType.CONTAINER_EVENT,
      eventData: agentpb.ContainerEventData.fromPartial({ attrs: { ['k'.repeat(100)]: 'v' } }),
    });
    expect(validateAgentMessage(longKey, ctx)?.reason).toBe('string_too_long');
  });
});
