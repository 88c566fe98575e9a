import { status } from '@grpc/grpc-js';
import { agentpb, topicsFor } from '@app/contracts';
import { agentClient, bearer, register, statsMessage } from '../support/agent-client';
import { eventually } from '../support/eventually';
import { readTopics } from '../support/kafka-records';
import { gatewayCounter, KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';

describe('gateway graceful shutdown', () => {
  it('stops reading, stores and ACKs what it accepted, then ends open streams with UNAVAILABLE', async () => {
    const prefix = uniqueTopicPrefix();
    const gateway = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix, GATEWAY_ACK_INTERVAL_MS: '1000' });
    const client = agentClient(gateway.grpcPort);
    await register(client, bearer(KEY.alpha), { agentKey: KEY.alpha });

    let acked = 0;
    const call = client.dataStream(bearer(KEY.alpha));
    call.on('data', (m: agentpb.ServerMessage) => (acked = Math.max(acked, Number(m.ackedCount ?? 0))));
    call.on('error', () => undefined);
    const ended = new Promise<{ code: number; details: string }>((resolve) => call.on('status', resolve));
    for (let i = 0; i < 200; i++)
      call.write(agentpb.AgentMessage.fromPartial(statsMessage(KEY.alpha, 'shutdown-host', i)));
    const readyBefore = await fetch(`http://127.0.0.1:${gateway.httpPort}/readyz`);
    expect(readyBefore.status).toBe(200);
    // Shutdown must find accepted records to store and ACK: wait until Kafka acknowledged some.
    await eventually(async () =>
      expect(await gatewayCounter(gateway, 'gateway_messages_total')).toBeGreaterThan(0),
    );

    await gateway.close();
    const final = await ended;
    client.close();

    expect(final.code).toBe(status.UNAVAILABLE);
    expect(final.details).toMatch(/shutting down/);
    expect(acked).toBeGreaterThan(0);
    const records = await readTopics([topicsFor(prefix).stats], (r) => r.length >= acked);
    expect(records.length).toBeGreaterThanOrEqual(acked);
    const stored = records.map((r) => agentpb.AgentMessage.decode(r.value).statsData!.stats[0].cpuPercent);
    expect(stored.slice(0, acked)).toEqual(Array.from({ length: acked }, (_, i) => i));
  });
});
