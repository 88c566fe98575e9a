import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { agentpb, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { GatewayKafka } from '../../apps/gateway/src/publishing/gateway-kafka';
import { agentClient, bearer, register, statsMessage } from '../support/agent-client';
import { readTopics } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require('../../deploy/kafka/kafka-broker.js') as typeof import('../support/kafka-broker');

const PORT = 39092;
const PENDING_LIMIT = 2 * 1024 * 1024;

/** A broker of its own: this spec stops it in the middle of a stream. */
describe('gateway when Kafka goes away', () => {
  const dataDir = join(__dirname, '../../.cache/kafka/outage-test');
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  const brokers = `127.0.0.1:${PORT}`;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await broker.startBroker({ port: PORT, dataDir });
    gateway = await startTestGateway({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      GATEWAY_PUBLISH_TIMEOUT_MS: '3000',
      GATEWAY_MAX_PENDING_BYTES: String(PENDING_LIMIT),
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await broker.stopBroker({ port: PORT, dataDir });
  });

  it('ends the stream with UNAVAILABLE, keeps memory bounded, and loses nothing it acknowledged', async () => {
    const client = agentClient(gateway!.grpcPort);
    await register(client, bearer(KEY.alpha), { agentKey: KEY.alpha });
    const publisher = gateway!.app.get(GatewayKafka).publisher;
    let maxPending = 0;
    const sampler = setInterval(() => (maxPending = Math.max(maxPending, publisher.pendingBytes)), 5);

    let acked = 0;
    let sent = 0;
    let brokerStopped = false;
    const call = client.dataStream(bearer(KEY.alpha));
    call.on('data', (m: agentpb.ServerMessage) => {
      if (m.command === agentpb.CommandType.ACK) acked = Math.max(acked, Number(m.ackedCount));
      if (acked >= 300 && !brokerStopped) {
        brokerStopped = true;
        void broker.stopBroker({ port: PORT, dataDir });
      }
    });
    call.on('error', () => undefined);
    const ended = new Promise<{ code: number; details: string }>((resolve) => call.on('status', resolve));
    let open = true;
    void ended.then(() => (open = false));
    // Writes wait while the call's buffer is full: until it drained, or the call ended.
    const drainedOrEnded = () =>
      new Promise<void>((resolve) => {
        call.once('drain', resolve);
        void ended.then(() => resolve());
      });
    while (open && sent < 50_000) {
      const ok = call.write(agentpb.AgentMessage.fromPartial(statsMessage(KEY.alpha, 'outage-host', sent++)));
      if (!ok) await drainedOrEnded();
      else if (sent % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    const final = await ended;
    clearInterval(sampler);
    client.close();

    expect(brokerStopped).toBe(true);
    expect(final.code).toBe(status.UNAVAILABLE);
    expect(final.details).toMatch(/send again/);
    expect(maxPending).toBeLessThanOrEqual(2 * PENDING_LIMIT);
    expect(acked).toBeGreaterThanOrEqual(300);
    expect(acked).toBeLessThan(sent);

    await broker.startBroker({ port: PORT, dataDir });
    const records = await readTopics([topics.stats], (r) => r.length >= acked, {
      brokers,
      timeoutMs: 30_000,
    });
    const stored = new Set(
      records.map((r) => agentpb.AgentMessage.decode(r.value).statsData!.stats[0].cpuPercent),
    );
    const missing = Array.from({ length: acked }, (_, i) => i).filter((i) => !stored.has(i));
    expect(missing).toEqual([]);
  });
});
