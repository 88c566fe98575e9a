import type { Kafka } from 'kafkajs';
import type { TopicSpec } from '@app/contracts';
import { ensureTopics } from './topic-admin';

const SPECS: TopicSpec[] = [{ topic: 'p.keys', numPartitions: 1, replicationFactor: 1, configEntries: [] }];

/** An admin whose createTopics fails, as kafkajs's does when another client created the topics first. */
function kafkaWith(topicsAfterFailure: string[]): { kafka: Kafka; fetched: string[] } {
  const fetched: string[] = [];
  let listed = 0;
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    listTopics: () => Promise.resolve(listed++ === 0 ? [] : topicsAfterFailure),
    createTopics: () => Promise.reject(new Error('This server does not host this topic-partition')),
    fetchTopicOffsets: (topic: string) => {
      fetched.push(topic);
      return Promise.resolve([]);
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, fetched };
}

describe('ensureTopics', () => {
  it('accepts topics another app created at the same moment, once their leaders answer', async () => {
    const { kafka, fetched } = kafkaWith(['p.keys']);
    await expect(ensureTopics(kafka, SPECS)).resolves.toEqual(['p.keys']);
    expect(fetched).toEqual(['p.keys']);
  });

  it('fails with the creation error when the topics still do not exist', async () => {
    const { kafka } = kafkaWith([]);
    await expect(ensureTopics(kafka, SPECS)).rejects.toThrow('does not host');
  });
});
