import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { agentpb, topicsFor } from '@app/contracts';
import type { RunningGateway } from '../../apps/gateway/src/gateway.app';
import { agentClient, bearer, Client, register, statsMessage } from '../support/agent-client';
import { CollectedRecord, readTopics } from '../support/kafka-records';
import { KEY, startTestGateway, uniqueTopicPrefix } from '../support/test-gateway';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const broker = require('../../deploy/kafka/kafka-broker.js') as typeof import('../support/kafka-broker');

// Ports of its own (gateway-broker-outage uses 39092/39093): the two specs may run side by side.
const PORT = 39192;
const CONTROLLER_PORT = 39193;
const PACE_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true, or fails with `what` at the deadline. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

interface PacedStream {
  /** Highest ACKed count so far. */
  acked: () => number;
  /** Messages written so far (the gateway numbers them 1..sent). */
  sent: () => number;
  ended: Promise<{ code: number; details: string }>;
  isOpen: () => boolean;
}

/** One DataStream writing stats messages every PACE_MS, as an agent would, until it ends or `count` went out. */
function pacedStream(client: Client, host: string, count: number, firstIndex = 0): PacedStream {
  const call = client.dataStream(bearer(KEY.alpha));
  let acked = 0;
  let sent = 0;
  let open = true;
  call.on('data', (m: agentpb.ServerMessage) => {
    if (m.command === agentpb.CommandType.ACK) acked = Math.max(acked, Number(m.ackedCount));
  });
  call.on('error', () => undefined);
  const ended = new Promise<{ code: number; details: string }>((resolve) => call.on('status', resolve));
  void ended.then(() => (open = false));
  void (async () => {
    while (open && sent < count) {
      call.write(agentpb.AgentMessage.fromPartial(statsMessage(KEY.alpha, host, firstIndex + sent)));
      sent++;
      await sleep(PACE_MS);
    }
    if (open) call.end();
  })();
  return { acked: () => acked, sent: () => sent, ended, isOpen: () => open };
}

/** The gateway's sequence numbers (message-id `streamId:sequence`) stored per stream, for one host. */
function sequencesByStream(records: CollectedRecord[], key: string): Map<string, number[]> {
  const streams = new Map<string, number[]>();
  for (const record of records.filter((r) => r.key === key)) {
    const [streamId, sequence] = record.headers['message-id'].split(':');
    if (!streams.has(streamId)) streams.set(streamId, []);
    streams.get(streamId)!.push(Number(sequence));
  }
  return streams;
}

/** Numbers missing from 1..max(sequences): a hole means a message after a failed one was stored. */
function holes(sequences: number[]): number[] {
  const stored = new Set(sequences);
  const max = Math.max(0, ...sequences);
  return Array.from({ length: max }, (_, i) => i + 1).filter((n) => !stored.has(n));
}

/**
 * A broker of its own, SIGKILLed in the middle of a paced stream: the stream ends UNAVAILABLE at
 * its first unstored message and nothing after it reaches Kafka, so that what the agent resends
 * follows an unbroken prefix. Readiness is 503 while the broker is away and 200 once it is back.
 */
describe('gateway stream cut by a broker outage', () => {
  const dataDir = join(__dirname, '../../.cache/kafka/stream-cut-test');
  const brokerOptions = { port: PORT, controllerPort: CONTROLLER_PORT, dataDir };
  const prefix = uniqueTopicPrefix();
  const topics = topicsFor(prefix);
  const brokers = `127.0.0.1:${PORT}`;
  let gateway: RunningGateway | undefined;
  const httpStatus = async (path: string) =>
    (await fetch(`http://127.0.0.1:${gateway!.httpPort}${path}`)).status;

  beforeAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await broker.startBroker(brokerOptions);
    gateway = await startTestGateway({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      // Longer than kafkajs' retries: the batch in flight fails with Kafka's error while the records
      // queued behind it are still within their deadline. Small batches, so that full ones are staged
      // behind the failing one (in the producer thread) and more wait in the queue.
      GATEWAY_PUBLISH_TIMEOUT_MS: '30000',
      GATEWAY_MAX_BATCH_BYTES: '16384',
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await broker.stopBroker(brokerOptions);
  });

  it('stores an unbroken prefix of the failed stream, then what the agent resends', async () => {
    const client = agentClient(gateway!.grpcPort);
    const { agentId } = await register(client, bearer(KEY.alpha), { agentKey: KEY.alpha });
    await until('the gateway is ready', async () => (await httpStatus('/readyz')) === 200);

    const first = pacedStream(client, 'cut-host', 1000);
    await until('100 messages are acknowledged', () => first.acked() >= 100);
    await broker.killBroker(brokerOptions);
    const killedAt = Date.now();

    const failed = await first.ended;
    expect(failed.code).toBe(status.UNAVAILABLE);
    const failedAt = Number(/message (\d+) not stored, send again/.exec(failed.details)?.[1]);
    expect(failedAt).toBeGreaterThan(100);
    // The final ACK, sent before the status, counts every message before the failed one.
    await until('the final ACK arrived', () => first.acked() === failedAt - 1, 5_000);
    await until('readiness reports the outage', async () => (await httpStatus('/readyz')) === 503);
    expect(await httpStatus('/healthz')).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway!.httpPort}/metrics`)).text();
    expect(Number(/^kafka_lane_cuts_total(\{[^}]*\})? (\d+)$/m.exec(metrics)?.[2])).toBeGreaterThanOrEqual(1);
    // The outage itself: the broker stays away for at least a second.
    await sleep(Math.max(0, killedAt + 1000 - Date.now()));

    await broker.startBroker(brokerOptions);
    await until('readiness recovers', async () => (await httpStatus('/readyz')) === 200);

    // The agent resends from its last ACK on a new stream; records of the same key go out again.
    const acked = first.acked();
    const resent = pacedStream(client, 'cut-host', 50, acked);
    const done = await resent.ended;
    expect(done.code).toBe(status.OK);
    expect(resent.acked()).toBe(50);

    // The lane is serial: once the resend is stored, anything of the first stream that was going
    // to reach Kafka is there too.
    const key = `${agentId}/cut-host`;
    const records = await readTopics(
      [topics.stats],
      (all) => {
        const streams = [...sequencesByStream(all, key).values()];
        return streams.length === 2 && streams[0].length >= acked && new Set(streams[1]).size === 50;
      },
      { brokers, timeoutMs: 30_000 },
    );
    // All records of one key share a partition: map order is the order Kafka holds them in.
    const [failedStream, resentStream] = [...sequencesByStream(records, key).values()];
    expect(holes(failedStream)).toEqual([]);
    expect(Math.max(...failedStream)).toBeGreaterThanOrEqual(acked);
    expect(holes(resentStream)).toEqual([]);
    expect(new Set(resentStream).size).toBe(50);
    // The key holds the first stream's prefix, then the resend: no record of the first stream later.
    const streamOrder = records
      .filter((r) => r.key === key)
      .map((r) => r.headers['message-id'].split(':')[0]);
    expect(streamOrder.lastIndexOf(streamOrder[0])).toBeLessThan(
      streamOrder.findIndex((id) => id !== streamOrder[0]),
    );
    client.close();
  });
});
