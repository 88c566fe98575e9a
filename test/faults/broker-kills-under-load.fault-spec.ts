import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { agentpb, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import type { RunningProjector } from '../../apps/projector/src/projector.app';
import { CollectedRecord, readTopics } from '../support/kafka-records';
import { ResendingAgent } from '../support/resending-agent';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
import { eventually, sql, startTestProjector, tempClickHousePath } from '../support/test-projector';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require('../../deploy/kafka/kafka-broker.js') as typeof import('../support/kafka-broker');

const PORT = 39392;
const KILLS = 5;
const SAMPLES = 400;
const CONTAINERS = 20;
const AGENTS = [
  { key: KEY.alpha, host: 'fault-host-a' },
  { key: KEY.beta, host: 'fault-host-b' },
  { key: KEY.otherTenant, host: 'fault-host-c' },
];

/**
 * Per key, Kafka must hold an unbroken prefix of what the agent sent, then what it sent again:
 * reading in offset order, a sample is never more than one past the highest seen before it.
 */
function holesIn(samples: number[]): number[] {
  const holes: number[] = [];
  let highest = -1;
  for (const sample of samples) {
    if (sample > highest + 1)
      holes.push(...Array.from({ length: sample - highest - 1 }, (_, i) => highest + 1 + i));
    highest = Math.max(highest, sample);
  }
  return holes;
}

/** A broker of its own, SIGKILLed and restarted while agents stream and resend. */
describe('faults: broker killed under load', () => {
  const dataDir = join(__dirname, '../../.cache/kafka/faults-broker');
  const brokers = `127.0.0.1:${PORT}`;
  const prefix = uniqueTopicPrefix();
  const firstSampleMs = Date.now() - 60_000;
  let gateway: RunningGateway;
  let projector: RunningProjector;
  const agents: ResendingAgent[] = [];

  beforeAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await broker.startBroker({ port: PORT, dataDir });
    gateway = await startTestGateway({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      GATEWAY_PUBLISH_TIMEOUT_MS: '3000',
      GATEWAY_ACK_INTERVAL_MS: '50',
    });
    projector = await startTestProjector({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_PATH: tempClickHousePath(),
      PROJECTOR_PROJECTIONS: 'stats',
    });
  });

  afterAll(async () => {
    agents.forEach((a) => a.stop());
    await gateway?.close();
    await projector?.close();
    await broker.stopBroker({ port: PORT, dataDir });
  });

  it(`keeps every key an unbroken prefix plus resends through ${KILLS} broker SIGKILLs, and stores each sample once`, async () => {
    for (const { key, host } of AGENTS) {
      const agent = new ResendingAgent({
        gatewayPort: gateway.grpcPort,
        key,
        host,
        samples: SAMPLES,
        firstSampleMs,
        intervalMs: 20,
      });
      agents.push(agent);
      await agent.start();
    }
    for (let kill = 0; kill < KILLS; kill++) {
      // Let traffic flow, then take the broker away for a second, as an operator's test did.
      await new Promise((r) => setTimeout(r, 1200));
      await broker.killBroker({ port: PORT, dataDir });
      await new Promise((r) => setTimeout(r, 1000));
      await broker.startBroker({ port: PORT, dataDir });
    }
    const report = setInterval(
      () => process.stdout.write(`${agents.map((a) => a.progress()).join('; ')}\n`),
      10_000,
    );
    await Promise.all(agents.map((a) => a.done)).finally(() => clearInterval(report));
    expect(agents.reduce((n, a) => n + a.streams.length, 0)).toBeGreaterThan(AGENTS.length);

    const topic = topicsFor(prefix).stats;
    const expected = AGENTS.length * SAMPLES;
    const records = await readTopics(
      [topic],
      (r) => new Set(r.map((x) => x.headers['message-id'])).size >= expected,
      { brokers, timeoutMs: 60_000 },
    );
    const byKey = new Map<string, CollectedRecord[]>();
    for (const record of records) byKey.set(record.key, [...(byKey.get(record.key) ?? []), record]);
    expect(byKey.size).toBe(AGENTS.length);
    for (const [key, list] of byKey) {
      list.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      const samples = list.map((r) => Number(agentpb.AgentMessage.decode(r.value).timestamp) - firstSampleMs);
      expect({ key, holes: holesIn(samples), highest: Math.max(...samples) }).toEqual({
        key,
        holes: [],
        highest: SAMPLES - 1,
      });
    }

    const hosts = AGENTS.map((a) => `'${a.host}'`).join(', ');
    await eventually(async () => {
      const [stored] = await sql<Record<string, string>>(
        projector.httpPort,
        `SELECT count() AS rows, uniqExact(host, container_id, ts) AS samples FROM container_stats WHERE host IN (${hosts})`,
      );
      expect(stored).toEqual({ rows: String(expected * CONTAINERS), samples: String(expected * CONTAINERS) });
    }, 60_000);
    const [rollup] = await sql<Record<string, string>>(
      projector.httpPort,
      `SELECT sum(samples) AS samples FROM container_stats_1m WHERE host IN (${hosts})`,
    );
    expect(rollup.samples).toBe(String(expected * CONTAINERS));
    // What the faults cost, for the log: messages the agents sent again, copies Kafka holds.
    process.stdout.write(
      `broker kills: ${agents.reduce((n, a) => n + a.resent, 0)} messages resent, ${records.length - expected} duplicate records in Kafka\n`,
    );
  }, 300_000);
});
