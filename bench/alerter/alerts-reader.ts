import { alertspb } from '@app/contracts';
import { kafkaClient, sleep } from '../commands/bench-apps';

const stateName = (s: alertspb.AlertState) =>
  (alertspb.AlertState[s] ?? String(s)).replace('ALERT_STATE_', '').toLowerCase();

/** What the alerts topic holds about one alert: its transitions and notification records, in order. */
export interface AlertStory {
  fingerprint: string;
  /** What was written, with its write time (emitted_at, epoch ms). */
  entries: { at: number; what: string }[];
}

/**
 * Reads `<prefix>alerts` from its start to its current end (bounded by `timeoutMs`) and tells,
 * for each container name asked about, what the alerter wrote: transitions (state, event time,
 * write time) and notifications (channel, state, ok, detail). For lost probes: did the alerter
 * decide nothing, or decide and not notify?
 */
export async function alertStories(
  brokers: string,
  topic: string,
  containers: Set<string>,
  timeoutMs: number,
): Promise<Map<string, AlertStory>> {
  const kafka = kafkaClient(brokers, 'bench-alerter-alerts');
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)] as const),
  );
  await admin.disconnect();
  const stories = new Map<string, AlertStory>();
  const byFingerprint = new Map<string, AlertStory>();
  const read = new Map<number, bigint>();
  const consumer = kafka.consumer({ groupId: `bench-alerter-alerts-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      read.set(partition, BigInt(message.offset) + 1n);
      if (!message.value) return;
      const r = alertspb.AlertLogRecord.decode(message.value);
      const at = Number(r.emittedAtMs);
      if (r.transition && containers.has(r.transition.containerName)) {
        const t = r.transition;
        let story = stories.get(t.containerName);
        if (!story) {
          story = { fingerprint: t.fingerprint, entries: [] };
          stories.set(t.containerName, story);
          byFingerprint.set(t.fingerprint, story);
        }
        story.entries.push({ at, what: stateName(t.state) });
      } else if (r.notified) {
        const story = byFingerprint.get(r.notified.fingerprint);
        story?.entries.push({
          at,
          what: `notified ${r.notified.channel} ${stateName(r.notified.state)} ok=${r.notified.ok} ${r.notified.detail}`,
        });
      }
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && [...ends].some(([p, end]) => (read.get(p) ?? 0n) < end)) await sleep(200);
  await consumer.disconnect();
  return stories;
}
