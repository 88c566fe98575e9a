import { agentpb } from '@app/contracts';

/** Containers in every stats message of the tests and the benches. */
export const CONTAINERS_PER_MESSAGE = 20;

/**
 * The one stats fixture of tests and benches: CONTAINER_STATS for 20 containers. Container `c` of
 * message `index` reports cpu_percent `index + c / 100` and network_tx `index`, so every stored row
 * names the message it came from.
 */
export function statsMessage(
  key: string,
  host: string,
  index: number,
  timestamp = String(Date.now()),
): Partial<agentpb.AgentMessage> {
  return {
    agentKey: key,
    type: agentpb.DataType.CONTAINER_STATS,
    host,
    timestamp,
    statsData: {
      stats: Array.from({ length: CONTAINERS_PER_MESSAGE }, (_, c) => ({
        id: `c${String(c).padStart(2, '0')}`.padEnd(64, '0'),
        name: `container-${c}`,
        cpuPercent: index + c / 100,
        memoryUsage: String(100_000_000 + c),
        memoryLimit: '2147483648',
        memoryPercent: 4.66,
        networkRx: '18446744073709551615',
        networkTx: String(index),
      })),
    },
  };
}

/** statsMessage() as the bytes an agent writes (an empty key is left out, as the gateway leaves it out). */
export function encodeStatsMessage(key: string, host: string, index: number, timestamp?: string): Buffer {
  const message = agentpb.AgentMessage.fromPartial(statsMessage(key, host, index, timestamp));
  return Buffer.from(agentpb.AgentMessage.encode(message).finish());
}
