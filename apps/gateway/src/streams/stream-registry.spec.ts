import { OpenStream, StreamRegistry } from './stream-registry';

function stream(streamId: string, agentId: string, tenantId = 't1', since = 0): OpenStream {
  return {
    streamId,
    principal: { tenantId, agentId, keyId: 'k' },
    peer: 'p',
    since,
    hosts: new Set(),
    send: () => true,
    end: () => undefined,
  };
}

describe('StreamRegistry', () => {
  it('finds the streams of an agent within its tenant only, newest first', () => {
    const registry = new StreamRegistry();
    registry.add(stream('s1', 'a1', 't1', 1));
    registry.add(stream('s2', 'a1', 't1', 2));
    registry.add(stream('s3', 'a1', 't2', 3));
    expect(registry.streamsOf('t1', 'a1').map((s) => s.streamId)).toEqual(['s2', 's1']);
    expect(registry.streamsOf('t2', 'a1').map((s) => s.streamId)).toEqual(['s3']);
    expect(registry.size).toBe(3);
  });

  it('forgets closed streams', () => {
    const registry = new StreamRegistry();
    registry.add(stream('s1', 'a1'));
    registry.remove('s1');
    registry.remove('s1');
    expect(registry.streamsOf('t1', 'a1')).toEqual([]);
    expect(registry.size).toBe(0);
  });
});
