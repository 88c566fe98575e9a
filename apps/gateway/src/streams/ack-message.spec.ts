import { agentpb } from '@app/contracts';
import { encodeAck, serializeServerMessage } from './ack-message';

describe('encodeAck', () => {
  it.each([0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER])(
    'writes the bytes the generated encoder writes for acked_count %d',
    (count) => {
      const reference = agentpb.ServerMessage.encode({
        command: agentpb.CommandType.ACK,
        targetContainer: '',
        host: '',
        ackedCount: String(count),
      }).finish();
      expect(encodeAck(count).toString('hex')).toBe(Buffer.from(reference).toString('hex'));
      expect(agentpb.ServerMessage.decode(encodeAck(count)).ackedCount).toBe(String(count));
    },
  );

  it('leaves encoded ACKs as they are and encodes commands', () => {
    const ack = encodeAck(5);
    expect(serializeServerMessage(ack)).toBe(ack);
    const command = agentpb.ServerMessage.fromPartial({
      command: agentpb.CommandType.STOP_CONTAINER,
      host: 'h',
    });
    expect(agentpb.ServerMessage.decode(serializeServerMessage(command))).toEqual(command);
  });
});
