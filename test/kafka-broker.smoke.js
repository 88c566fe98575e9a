'use strict';
// End-to-end smoke test of deploy/kafka/kafka-broker.js against a real broker:
// provision, start, create topic, produce with acks=-1, consume with a group, restart (clean and
// after SIGKILL) on the same data dir and check acked data survived. Run: node test/kafka-broker.smoke.js

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Kafka, Partitioners, logLevel } = require('kafkajs');
const kafkaBroker = require('../deploy/kafka/kafka-broker');

const PORT = Number(process.env.KAFKA_SMOKE_PORT || 19092);
const DATA_DIR = path.resolve(__dirname, '..', '.cache', 'kafka', `smoke-${PORT}`);
const TOPIC = 'smoke-events';
const BIG_TOPIC = 'smoke-big';
const MESSAGES = 100;
const BIG_RECORD_BYTES = 8 * 1024 * 1024;
const opts = { port: PORT, dataDir: DATA_DIR };

const timings = {};

async function timed(name, fn) {
  const t0 = Date.now();
  const result = await fn();
  timings[name] = `${((Date.now() - t0) / 1000).toFixed(2)}s`;
  return result;
}

function client(brokers) {
  return new Kafka({ clientId: 'kafka-broker-smoke', brokers: [brokers], logLevel: logLevel.WARN });
}

async function createTopics(kafka) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: TOPIC, numPartitions: 3 },
        { topic: BIG_TOPIC, numPartitions: 1 },
      ],
    });
    assert.equal(created, true, 'topics already existed in a fresh data dir');
    const [meta] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
    assert.equal(meta.partitions.length, 3);
  } finally {
    await admin.disconnect();
  }
}

async function produce(kafka) {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const messages = Array.from({ length: MESSAGES }, (_, i) => ({ key: `k${i}`, value: `message-${i}` }));
    await producer.send({ topic: TOPIC, acks: -1, messages });
    await producer.send({
      topic: BIG_TOPIC,
      acks: -1,
      messages: [{ value: Buffer.alloc(BIG_RECORD_BYTES, 7) }],
    });
  } finally {
    await producer.disconnect();
  }
}

// Consumes with a consumer group until `expected` messages per topic arrived (or times out).
async function consume(kafka, groupId, expected, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId });
  const seen = new Map(Object.keys(expected).map((topic) => [topic, []]));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: Object.keys(expected), fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`group ${groupId} timed out: ${summary(seen)}`)),
        timeoutMs,
      );
      const done = () => [...seen].every(([topic, values]) => values.length >= expected[topic]);
      consumer
        .run({
          eachMessage: async ({ topic, message }) => {
            seen.get(topic).push(message.value);
            if (done()) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function summary(seen) {
  return [...seen].map(([topic, values]) => `${topic}=${values.length}`).join(', ');
}

function assertAllMessages(seen) {
  const values = new Set(seen.get(TOPIC).map(String));
  assert.equal(values.size, MESSAGES);
  for (let i = 0; i < MESSAGES; i++) assert.ok(values.has(`message-${i}`), `missing message-${i}`);
  const [big] = seen.get(BIG_TOPIC);
  assert.equal(big.length, BIG_RECORD_BYTES);
}

async function committedTotal(kafka, groupId) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
    return partitions.reduce((sum, p) => sum + Math.max(Number(p.offset), 0), 0);
  } finally {
    await admin.disconnect();
  }
}

function rssMiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? `${Math.round(Number(match[1]) / 1024)} MiB` : 'unknown';
}

async function verifySurvived(broker, label) {
  const kafka = client(broker.brokers);
  assertAllMessages(await consume(kafka, `smoke-${label}`, { [TOPIC]: MESSAGES, [BIG_TOPIC]: 1 }));
  assert.equal(await committedTotal(kafka, 'smoke-group'), MESSAGES, `committed offsets lost (${label})`);
}

async function main() {
  await kafkaBroker.stopBroker(opts);
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  await timed('provision', () => kafkaBroker.provision(opts));

  let broker = await timed('start (fresh, incl. format)', () => kafkaBroker.startBroker(opts));
  try {
    const again = await kafkaBroker.startBroker(opts);
    assert.equal(again.pid, broker.pid, 'second start must reuse the running broker');

    const kafka = client(broker.brokers);
    await createTopics(kafka);
    await timed('produce 100 + 8 MiB (acks=-1)', () => produce(kafka));
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let the idle JVM settle before measuring
    timings['idle broker RSS'] = rssMiB(broker.pid);
    const seen = await timed('consume with group', () =>
      consume(kafka, 'smoke-group', { [TOPIC]: MESSAGES, [BIG_TOPIC]: 1 }),
    );
    assertAllMessages(seen);
    await timed('stop', () => broker.stop());
    assert.equal(await kafkaBroker.isReady('127.0.0.1', PORT, 1000), false);

    broker = await timed('restart (same data dir)', () => kafkaBroker.startBroker(opts));
    await verifySurvived(broker, 'after-restart');

    await timed('kill (SIGKILL)', () => broker.kill());
    broker = await timed('restart after SIGKILL', () => kafkaBroker.startBroker(opts));
    await verifySurvived(broker, 'after-kill');
  } finally {
    await timed('final stop', () => kafkaBroker.stopBroker(opts));
  }
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  console.table(timings);
  console.log('kafka broker smoke test passed');
}

main().catch((err) => {
  console.error(`kafka broker smoke test FAILED: ${err.stack || err}`);
  console.error(`broker data kept for inspection: ${DATA_DIR}`);
  process.exitCode = 1;
});
