import { AssignerProtocol, PartitionAssigner } from 'kafkajs';

/**
 * Gives partition N of every subscribed topic to the same member (members in id order, partition
 * numbers spread round-robin). The alerter's inputs are keyed alike (`agent_id/host` for events,
 * stats and lists; `agent_id` for lifecycle), so one member sees all of a container's events,
 * stats and lists, and each instance's state is its partitions' alone.
 */
export const CoPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'CoPartitioned',
  version: 1,
  async assign({ members, topics }) {
    const sorted = [...members].map((m) => m.memberId).sort();
    const assignment = new Map<string, Record<string, number[]>>(sorted.map((id) => [id, {}]));
    for (const topic of topics) {
      const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
      for (const partition of partitions) {
        const member = assignment.get(sorted[partition % sorted.length])!;
        (member[topic] ??= []).push(partition);
      }
    }
    return sorted.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: assignment.get(memberId)!,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'CoPartitioned',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
