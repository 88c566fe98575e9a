import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { RuleDefinition } from '@app/alerting';
import { alertspb, commandspb, requestLogRecord, statusChange, statusRecord } from '@app/contracts';
import { KeyPartitioner } from '@app/kafka';
import type { AppLogger } from '@app/observability';
import type { AlertLog, KnownAlert } from './alert-log';

const ACTIONS: Record<string, commandspb.CommandAction> = {
  START: commandspb.CommandAction.COMMAND_ACTION_START,
  STOP: commandspb.CommandAction.COMMAND_ACTION_STOP,
  RESTART: commandspb.CommandAction.COMMAND_ACTION_RESTART,
};

/**
 * Opt-in remediation (`action: {command, cooldown, max_attempts}`): while an alert fires, a
 * command goes through the command loop (a PENDING status, then the request on the agent's
 * command log, as the control-api sends it), at most `max_attempts` times per firing episode and
 * never sooner than `cooldown` after the previous attempt (of any episode). Attempts are records
 * on the alerts topic (AlertRemediation, with the command id), so the cooldown and the limit hold
 * across restarts and rebalances.
 */
export class Remediation {
  private producer: Producer | undefined;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: { commands: string; commandStatus: string },
    private readonly alerts: AlertLog,
    private readonly options: { instanceId: string; commandExpiryMs: number },
    private readonly logger: AppLogger,
  ) {}

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ createPartitioner: KeyPartitioner, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
  }

  /** Sends the next attempt if the rule has an action, the alert fires, and the limits allow it. */
  async consider(
    fingerprint: string,
    known: KnownAlert | undefined,
    rule: RuleDefinition | undefined,
    nowMs: number,
  ): Promise<void> {
    const action = rule?.action;
    const t = known?.transition;
    if (
      !action ||
      !t ||
      t.state !== alertspb.AlertState.ALERT_STATE_FIRING ||
      !t.containerName ||
      this.inFlight.has(fingerprint)
    )
      return;
    const episode = known.remediations.filter((r) => r.atMs >= Number(t.startsAtMs));
    const last = known.remediations.reduce((m, r) => Math.max(m, r.atMs), 0);
    if (episode.length >= action.maxAttempts || (last > 0 && nowMs - last < action.cooldownMs)) return;
    this.inFlight.add(fingerprint);
    try {
      const commandId = await this.send(t, action.command, rule.name);
      await this.alerts.write([
        {
          remediation: {
            fingerprint,
            ruleName: rule.name,
            commandId,
            attempt: episode.length + 1,
            command: action.command,
          },
        },
      ]);
      this.logger.info(
        { fingerprint, rule: rule.name, commandId, attempt: episode.length + 1 },
        'remediation command sent',
      );
    } catch (error) {
      this.logger.warn(
        { fingerprint, err: error },
        'remediation command not sent; tried again at the next tick',
      );
    } finally {
      this.inFlight.delete(fingerprint);
    }
  }

  private async send(
    t: { tenantId: string; agentId: string; host: string; containerId: string; containerName: string },
    command: string,
    rule: string,
  ): Promise<string> {
    const now = Date.now();
    const request = commandspb.CommandRequest.fromPartial({
      commandId: randomUUID(),
      tenantId: t.tenantId,
      agentId: t.agentId,
      host: t.host,
      container: t.containerId || t.containerName,
      containerId: t.containerId,
      containerName: t.containerName,
      action: ACTIONS[command],
      requestedAtMs: String(now),
      expiresAtMs: String(now + this.options.commandExpiryMs),
      requestedBy: `alerter:${rule}`,
    });
    // As the control-api sends a command: its PENDING status first, then the request on the log.
    const pending = statusChange(
      request,
      commandspb.CommandStatus.COMMAND_STATUS_PENDING,
      this.options.instanceId,
      now,
    );
    await this.producer!.send({
      topic: this.topics.commandStatus,
      acks: -1,
      messages: [statusRecord(pending)],
    });
    const { outgoing } = requestLogRecord(request, this.options.instanceId, now);
    await this.producer!.send({ topic: this.topics.commands, acks: -1, messages: [outgoing] });
    return request.commandId;
  }
}
