import { agentpb } from '@app/contracts';
import { encodeVarintField, rebuildWithout, scanTopLevelFields, WireFormatError } from './wire-format';

const message = agentpb.AgentMessage.fromPartial({
  agentKey: 'ak_secretsecretsecret',
  type: agentpb.DataType.CONTAINER_STATS,
  host: 'h1',
  timestamp: '1700000000',
  statsData: { stats: [{ id: 'c1', name: 'n', cpuPercent: 1.5, memoryUsage: '18446744073709551615' }] },
});
const bytes = Buffer.from(agentpb.AgentMessage.encode(message).finish());

describe('wire format', () => {
  it('finds the top-level fields', () => {
    expect(scanTopLevelFields(bytes).map((f) => f.fieldNumber)).toEqual([1, 2, 3, 4, 12]);
  });

  it('drops the key and replaces the timestamp without touching the payload', () => {
    const rebuilt = rebuildWithout(
      bytes,
      scanTopLevelFields(bytes),
      new Set([1, 4]),
      encodeVarintField(4, 1700000000000),
    );
    const decoded = agentpb.AgentMessage.decode(rebuilt);
    expect(decoded).toEqual({ ...message, agentKey: '', timestamp: '1700000000000' });
    expect(rebuilt.includes(Buffer.from('ak_secret'))).toBe(false);
  });

  it.each([
    ['truncated varint', Buffer.from([0x10, 0xff])],
    ['length past the end', Buffer.from([0x1a, 0x05, 0x61])],
    ['field number zero', Buffer.from([0x00, 0x01])],
    ['group wire type', Buffer.from([0x0b])],
    [
      'overlong varint',
      Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    ],
  ])('rejects %s', (_label, input) => {
    expect(() => scanTopLevelFields(input)).toThrow(WireFormatError);
  });

  it('encodes large varints', () => {
    const field = encodeVarintField(4, 2 ** 50);
    expect(agentpb.AgentMessage.decode(field).timestamp).toBe(String(2 ** 50));
  });
});
