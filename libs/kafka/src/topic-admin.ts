import type { Kafka } from 'kafkajs';
import type { TopicSpec } from '@app/contracts';

/** Creates the topics that do not exist yet; existing topics are left as they are. */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing, waitForLeaders: true, timeout: 30000 });
    }
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}
