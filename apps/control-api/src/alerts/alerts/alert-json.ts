import type { z } from 'zod';
import { alertspb } from '@app/contracts';
import { statusName } from '../../commands/command-status';
import type { CommandsView } from '../../commands/commands.view';
import type { Alert } from '../alerting.schemas';
import type { AlertEntry } from './alert-fold';

type AlertStateName = 'pending' | 'firing' | 'resolved';
const STATE_NAMES: Partial<Record<alertspb.AlertState, AlertStateName>> = {
  [alertspb.AlertState.ALERT_STATE_PENDING]: 'pending',
  [alertspb.AlertState.ALERT_STATE_FIRING]: 'firing',
  [alertspb.AlertState.ALERT_STATE_RESOLVED]: 'resolved',
};
export const alertStateName = (s: alertspb.AlertState): AlertStateName | undefined => STATE_NAMES[s];
export const alertStateFromName = (name: AlertStateName): alertspb.AlertState =>
  Number(Object.entries(STATE_NAMES).find(([, n]) => n === name)![0]);

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/**
 * An alert as the API shows it. Its remediation commands are looked up in the commands read model
 * (the command-status topic): their current status and the detail of their latest transition.
 */
export function alertJson(entry: AlertEntry, commands: CommandsView): z.infer<typeof Alert> {
  const t = entry.transition;
  return {
    fingerprint: t.fingerprint,
    rule: t.ruleName,
    // Folded entries only hold known states.
    state: alertStateName(t.state)!,
    tenant: t.tenantId,
    agent_id: t.agentId,
    host: t.host,
    container_id: t.containerId,
    container_name: t.containerName,
    labels: { ...t.labels },
    annotations: { ...t.annotations },
    value: t.value,
    starts_at: iso(entry.startsAtMs),
    ...(Number(t.endsAtMs) > 0 ? { ends_at: iso(t.endsAtMs) } : {}),
    updated_at: iso(entry.atMs),
    notifications: [...entry.notifications.values()].map((n) => ({
      channel: n.channel,
      ...(alertStateName(n.state) ? { state: alertStateName(n.state) } : {}),
      ok: n.ok,
      attempts: n.attempts,
      ...(n.detail ? { detail: n.detail } : {}),
      at: iso(n.atMs),
    })),
    remediation: [...entry.remediation.values()].map((r) => {
      const command = commands.get(r.commandId);
      const last = command?.history[command.history.length - 1];
      return {
        command_id: r.commandId,
        attempt: r.attempt,
        command: r.command,
        status: (command && statusName(command.status)) ?? 'unknown',
        ...(last?.detail ? { detail: last.detail } : {}),
      };
    }),
  };
}
