import { agentpb } from '@app/contracts';
import type { AppLogger } from '@app/observability';
import { SimulatedAgent } from './simulated-agent';

/** The agent's handling of server messages, without a gateway: what it would send, and its log. */
function agentUnderTest() {
  const sent: string[] = [];
  const logs: string[] = [];
  const logger = {
    info: (_o: unknown, msg: string) => logs.push(msg),
    warn: (_o: unknown, msg: string) => logs.push(msg),
  } as unknown as AppLogger;
  const agent = new SimulatedAgent(
    {
      gatewayAddress: '127.0.0.1:1',
      agentKey: 'ak_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      agentName: 'a',
      hosts: 1,
      containersPerHost: 5,
      statsIntervalMs: 1000,
      inventoryIntervalMs: 1000,
      heartbeatIntervalMs: 1000,
      incidentProbability: 0,
      seed: 3,
      tls: false,
    },
    { sent: (type) => sent.push(type), acked: () => {}, reconnect: () => {}, command: () => {} },
    logger,
  );
  const internals = agent as unknown as {
    onServerMessage(m: agentpb.ServerMessage): void;
    outbox: { size: number; restart(): agentpb.AgentMessage[] };
  };
  const receive = (m: Partial<agentpb.ServerMessage>) =>
    internals.onServerMessage(agentpb.ServerMessage.fromPartial(m));
  return { agent, sent, logs, receive, outbox: internals.outbox };
}

describe('SimulatedAgent obeying commands', () => {
  it('sends the events through its outbox, then a fresh list and inspect of the host', async () => {
    const { agent, sent, receive, outbox } = agentUnderTest();
    const before = Date.now();
    receive({ command: agentpb.CommandType.ACK, ackedCount: '0' });
    expect(sent).toEqual([]);
    receive({ command: agentpb.CommandType.STOP_CONTAINER, host: 'a-host0', targetContainer: 'web-0' });
    expect(sent).toEqual([
      'CONTAINER_EVENT',
      'CONTAINER_EVENT',
      'CONTAINER_EVENT',
      'CONTAINER_LIST',
      'CONTAINER_INSPECT',
    ]);
    const messages = outbox.restart();
    expect(messages.map((m) => m.eventData?.action ?? agentpb.DataType[m.type])).toEqual([
      'kill',
      'die',
      'stop',
      'CONTAINER_LIST',
      'CONTAINER_INSPECT',
    ]);
    expect(messages.every((m) => m.host === 'a-host0')).toBe(true);
    expect(Number(BigInt(messages[0].eventData!.timestamp) / 1_000_000n)).toBeGreaterThanOrEqual(before);
    expect(messages[3].listData!.containers.find((c) => c.name === 'web-0')!.state).toBe('exited');
    await agent.stop();
  });

  it('ignores, with a log line, a host or container it does not have, and sends nothing for a 304', async () => {
    const { agent, sent, logs, receive } = agentUnderTest();
    receive({ command: agentpb.CommandType.START_CONTAINER, host: 'other-host', targetContainer: 'web-0' });
    receive({ command: agentpb.CommandType.START_CONTAINER, host: 'a-host0', targetContainer: 'nope' });
    receive({ command: agentpb.CommandType.START_CONTAINER, host: 'a-host0', targetContainer: 'web-0' });
    expect(sent).toEqual([]);
    expect(logs).toEqual([
      'command ignored: no such host',
      'command ignored: no such container',
      'command had nothing to do (Docker 304)',
    ]);
    await agent.stop();
  });
});
