import { agentpb } from '@app/contracts';
import { ProjectionError, SourceRecord } from './source-record';

/** Decodes a data-topic record and checks it carries the payload its projection needs. */
export function decodeAgentMessage<K extends 'listData' | 'inspectData' | 'statsData' | 'eventData'>(
  record: SourceRecord,
  payload: K,
): agentpb.AgentMessage & Required<Pick<agentpb.AgentMessage, K>> {
  let message: agentpb.AgentMessage;
  try {
    message = agentpb.AgentMessage.decode(record.value);
  } catch (error) {
    throw new ProjectionError(`undecodable AgentMessage: ${(error as Error).message}`);
  }
  if (!message[payload]) throw new ProjectionError(`AgentMessage without ${payload}`);
  return message as agentpb.AgentMessage & Required<Pick<agentpb.AgentMessage, K>>;
}
