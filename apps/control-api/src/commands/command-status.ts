import { commandspb } from '@app/contracts';
import { COMMAND_ACTIONS, COMMAND_STATUSES } from '../http/api-schemas';

const { CommandAction, CommandStatus } = commandspb;

export type ApiCommandStatus = (typeof COMMAND_STATUSES)[number];
export type ApiCommandAction = (typeof COMMAND_ACTIONS)[number];

const STATUS_NAMES: Partial<Record<commandspb.CommandStatus, ApiCommandStatus>> = {
  [CommandStatus.COMMAND_STATUS_PENDING]: 'pending',
  [CommandStatus.COMMAND_STATUS_DELIVERED]: 'delivered',
  [CommandStatus.COMMAND_STATUS_SUCCEEDED]: 'succeeded',
  [CommandStatus.COMMAND_STATUS_FAILED]: 'failed',
  [CommandStatus.COMMAND_STATUS_TIMED_OUT]: 'timed_out',
  [CommandStatus.COMMAND_STATUS_EXPIRED]: 'expired',
};

/** The API's name of a status; undefined for UNSPECIFIED and values this build does not know. */
export function statusName(status: commandspb.CommandStatus): ApiCommandStatus | undefined {
  return STATUS_NAMES[status];
}

const STATUS_VALUES = Object.fromEntries(
  Object.entries(STATUS_NAMES).map(([value, name]) => [name, Number(value)]),
) as Record<ApiCommandStatus, commandspb.CommandStatus>;

export function statusFromName(name: ApiCommandStatus): commandspb.CommandStatus {
  return STATUS_VALUES[name];
}

/** pending < delivered < every terminal status. */
export function statusRank(status: commandspb.CommandStatus): number {
  switch (status) {
    case CommandStatus.COMMAND_STATUS_PENDING:
      return 1;
    case CommandStatus.COMMAND_STATUS_DELIVERED:
      return 2;
    case CommandStatus.COMMAND_STATUS_SUCCEEDED:
    case CommandStatus.COMMAND_STATUS_FAILED:
    case CommandStatus.COMMAND_STATUS_TIMED_OUT:
    case CommandStatus.COMMAND_STATUS_EXPIRED:
      return 3;
    case CommandStatus.COMMAND_STATUS_UNSPECIFIED:
    case CommandStatus.UNRECOGNIZED:
    default:
      return 0;
  }
}

export const isTerminal = (status: commandspb.CommandStatus): boolean => statusRank(status) === 3;

const ACTIONS: Record<ApiCommandAction, commandspb.CommandAction> = {
  START: CommandAction.COMMAND_ACTION_START,
  STOP: CommandAction.COMMAND_ACTION_STOP,
  RESTART: CommandAction.COMMAND_ACTION_RESTART,
};

export function actionFromName(name: ApiCommandAction): commandspb.CommandAction {
  return ACTIONS[name];
}

/** The API's name of an action; undefined for an action this build does not know. */
export function actionName(action: commandspb.CommandAction): ApiCommandAction | undefined {
  return COMMAND_ACTIONS.find((name) => ACTIONS[name] === action);
}
