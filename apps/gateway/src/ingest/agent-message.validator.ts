import { agentpb } from '@app/contracts';
import { toEpochMs } from './epoch-time';
import { checkLimits, MessageLimits } from './message-limits';
import { Rejection, reject } from './rejection';

const { DataType } = agentpb;
type AgentMessage = agentpb.AgentMessage;

export interface ValidationContext extends MessageLimits {
  nowMs: number;
  maxFutureSkewMs: number;
}

const PAYLOAD_OF_TYPE: Record<number, keyof AgentMessage> = {
  [DataType.CONTAINER_LIST]: 'listData',
  [DataType.CONTAINER_INSPECT]: 'inspectData',
  [DataType.CONTAINER_STATS]: 'statsData',
  [DataType.CONTAINER_EVENT]: 'eventData',
};

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const MAX_CPU_PERCENT = 100 * 4096;

/** Semantic checks on a decoded AgentMessage; the first problem found is the rejection. */
export function validateAgentMessage(message: AgentMessage, ctx: ValidationContext): Rejection | undefined {
  const expected = PAYLOAD_OF_TYPE[message.type];
  if (!expected) return reject('unknown_type', `type ${message.type} is not a known DataType`);
  const present = Object.values(PAYLOAD_OF_TYPE).filter((field) => message[field] !== undefined);
  if (present.length === 0)
    return reject('missing_payload', `type ${DataType[message.type]} without a payload`);
  if (present.length > 1) return reject('multiple_payloads', `payloads ${present.join(', ')} in one message`);
  if (present[0] !== expected) {
    return reject('type_mismatch', `type ${DataType[message.type]} carries ${String(present[0])}`);
  }
  if (message.host.length > 256 || CONTROL_CHARACTERS.test(message.host)) {
    return reject('invalid_host', 'host must be at most 256 characters without control characters');
  }
  return checkLimits(message, ctx) ?? checkStats(message) ?? checkEventTime(message, ctx);
}

function checkStats(message: AgentMessage): Rejection | undefined {
  const stats = message.statsData?.stats ?? [];
  for (let i = 0; i < stats.length; i++) {
    const { cpuPercent, memoryPercent } = stats[i];
    if (cpuPercent < 0 || cpuPercent > MAX_CPU_PERCENT) {
      return reject('invalid_number', `statsData.stats[${i}].cpuPercent is ${cpuPercent}`);
    }
    if (memoryPercent < 0 || memoryPercent > 100_000) {
      return reject('invalid_number', `statsData.stats[${i}].memoryPercent is ${memoryPercent}`);
    }
  }
  return undefined;
}

function checkEventTime(message: AgentMessage, ctx: ValidationContext): Rejection | undefined {
  const ts = message.eventData?.timestamp;
  if (ts === undefined || ts === '0') return undefined;
  const result = toEpochMs(ts, ctx.nowMs, ctx.maxFutureSkewMs);
  return result.ok ? undefined : reject('absurd_timestamp', `eventData.timestamp: ${result.detail}`);
}
