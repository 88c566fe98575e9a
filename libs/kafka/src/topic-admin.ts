import type { Admin, Kafka } from 'kafkajs';
import type { TopicSpec } from '@app/contracts';

/**
 * Creates the topics that do not exist yet (existing topics are left as they are) and waits until
 * their partition leaders answer: a fresh partition refuses writes with NOT_LEADER for a moment,
 * and a batch retried after such a partial refusal can store its other records twice.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: TopicSpec[],
  readyTimeoutMs = 15_000,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({ topics: missing, waitForLeaders: true, timeout: 30000 });
      } catch (error) {
        // Another app of the deployment starting at the same moment may create them first; its
        // topics then fail kafkajs's own leader wait (UNKNOWN_TOPIC_OR_PARTITION). Existing is enough:
        // the wait below decides.
        const now = new Set(await admin.listTopics());
        if (!missing.every((s) => now.has(s.topic))) throw error;
      }
      await waitForLeaders(
        admin,
        missing.map((s) => s.topic),
        readyTimeoutMs,
      );
    }
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}

/** ListOffsets is served by each partition's leader only, so it succeeds once they all lead. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const topic of topics) {
    for (;;) {
      try {
        await admin.fetchTopicOffsets(topic);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
