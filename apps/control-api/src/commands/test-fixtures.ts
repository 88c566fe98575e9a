import { agentpb, commandspb } from '@app/contracts';
import type { AgentState } from '../fleet/fleet.view';

/** Shared by the commands unit specs. */
export const AGENT_A = 'ag_aaaaaaaaaaaaaaaaaaaa';

export function agentState(
  containers: Record<string, { id: string; name: string }[]>,
  hosts: string[] = Object.keys(containers),
  tenantId = 'acme',
  agentId = AGENT_A,
): AgentState {
  return {
    tenantId,
    agentId,
    name: 'a',
    keyId: '',
    hosts: hosts.map((name) => ({ name, addr: '' })),
    lastSeenMs: 0,
    streams: new Map(),
    containers: new Map(
      Object.entries(containers).map(([host, list]) => [
        host,
        {
          reportedAtMs: 1,
          containers: list.map((c) =>
            agentpb.ContainerInfo.fromPartial({ ...c, image: 'img', state: 'running', status: 'Up' }),
          ),
        },
      ]),
    ),
  };
}

export function request(
  commandId: string,
  over: Partial<commandspb.CommandRequest> = {},
): commandspb.CommandRequest {
  return commandspb.CommandRequest.fromPartial({
    commandId,
    tenantId: 'acme',
    agentId: AGENT_A,
    host: 'h1',
    container: 'web',
    containerId: 'c1',
    containerName: 'web',
    action: commandspb.CommandAction.COMMAND_ACTION_RESTART,
    requestedAtMs: '1000',
    expiresAtMs: '301000',
    requestedBy: 'tok_x',
    ...over,
  });
}

export function change(
  req: commandspb.CommandRequest,
  status: commandspb.CommandStatus,
  atMs: number,
  over: Partial<commandspb.CommandStatusChanged> = {},
): commandspb.CommandStatusChanged {
  return commandspb.CommandStatusChanged.fromPartial({
    eventId: `${req.commandId}-${status}-${atMs}`,
    commandId: req.commandId,
    status,
    atMs: String(atMs),
    writer: 'gw-1',
    command: req,
    ...over,
  });
}
