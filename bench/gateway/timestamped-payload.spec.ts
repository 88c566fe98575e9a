import { agentpb } from '@app/contracts';
import { encodeStatsMessage } from '@app/testing';
import { TimestampedPayload } from './timestamped-payload';

describe('TimestampedPayload', () => {
  it('gives each copy its own sample time and leaves the rest of the message as it was', () => {
    const first = 1764115025123;
    const payload = new TimestampedPayload(encodeStatsMessage('ak_x', 'h', 3, String(first)), first);
    const later = agentpb.AgentMessage.decode(payload.withTime(first + 4567));
    const original = agentpb.AgentMessage.decode(encodeStatsMessage('ak_x', 'h', 3, String(first)));
    expect(later.timestamp).toBe(String(first + 4567));
    expect({ ...later, timestamp: '' }).toEqual({ ...original, timestamp: '' });
  });

  it('refuses a time whose encoding would change the length', () => {
    const payload = new TimestampedPayload(encodeStatsMessage('', 'h', 1, '1000'), 1000);
    expect(() => payload.withTime(10 ** 13)).toThrow(/varint length/);
  });
});
