import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { commandspb } from '@app/contracts';
import type { AppLogger } from '@app/observability';
import type { ApiScope } from '../auth/api-tokens';
import type { FleetView } from '../fleet/fleet.view';
import type { CreateCommandBody } from '../http/api-schemas';
import { fail } from '../http/problem';
import { CommandState, NOT_QUEUED } from './command-fold';
import { requestLogRecord, OutgoingRecord, statusChange, statusRecord } from '@app/contracts';
import { actionFromName } from './command-status';
import { resolveContainer } from './container-resolver';
import { checkRetry, KeyedSerializer, requestHash } from './idempotency';
import type { CommandsView } from './commands.view';

const { CommandStatus } = commandspb;

/** The control API's side of Kafka for commands; each write resolves once acknowledged (acks=all). */
export interface CommandWriter {
  writeStatus(record: OutgoingRecord): Promise<void>;
  writeLog(record: OutgoingRecord): Promise<void>;
  /** Whether the fleet and the command history have been read to where they ended at start. */
  readModelsReady(): boolean;
}

export interface CommandsServiceOptions {
  /** CONTROL_API_ID: the `writer` of the records. */
  writerId: string;
  defaultExpirySeconds: number;
}

export type CreateCommand = z.infer<typeof CreateCommandBody>;

/**
 * Accepts a command: resolves its target through the fleet view, then writes, in this order and
 * each acknowledged by every in-sync replica, its PENDING status (command-status, keyed by
 * command id) and its request (the agent's command log, keyed by agent id), which is what makes
 * a gateway deliver it. Nothing is half-promised: if the log refuses the request, the answer is a
 * 503 and an EXPIRED "not queued: <error>" status is written (best effort) and applied here.
 */
export class CommandsService {
  private readonly serializer = new KeyedSerializer();

  constructor(
    private readonly view: CommandsView,
    private readonly fleet: FleetView,
    private readonly writer: CommandWriter,
    private readonly options: CommandsServiceOptions,
    private readonly logger: AppLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The accepted command, or, for a retry with the same Idempotency-Key and body, the earlier one. */
  async create(scope: ApiScope, body: CreateCommand, idempotencyKey?: string): Promise<CommandState> {
    if (!this.writer.readModelsReady())
      fail('unavailable', 'the fleet and the command history are still being read from Kafka; retry shortly');
    const tenant = scope.kind === 'tenant' ? scope.tenant : this.agentOf(undefined, body.agent_id).tenantId;
    if (idempotencyKey === undefined) return this.accept(scope, tenant, body, '', requestHash(body));
    const hash = requestHash(body);
    return this.serializer.run(`${tenant}\n${idempotencyKey}`, async () => {
      const retry = checkRetry(this.view.prior(tenant, idempotencyKey), idempotencyKey, hash);
      if (retry.kind === 'replay') {
        const earlier = this.view.get(retry.commandId);
        if (earlier) return earlier;
      }
      return this.accept(scope, tenant, body, idempotencyKey, hash);
    });
  }

  private agentOf(tenant: string | undefined, agentId: string) {
    const agent = this.fleet.get(tenant, agentId);
    if (!agent) fail('not_found', `agent ${agentId} not found`, '/body/agent_id');
    return agent;
  }

  private async accept(
    scope: ApiScope,
    tenant: string,
    body: CreateCommand,
    idempotencyKey: string,
    hash: string,
  ): Promise<CommandState> {
    const agent = this.agentOf(tenant, body.agent_id);
    const target = resolveContainer(agent, body.host, body.container);
    const now = this.now();
    const request = commandspb.CommandRequest.fromPartial({
      commandId: randomUUID(),
      tenantId: agent.tenantId,
      agentId: agent.agentId,
      host: body.host,
      container: body.container,
      containerId: target.containerId,
      containerName: target.containerName,
      action: actionFromName(body.command),
      requestedAtMs: String(now),
      expiresAtMs: String(now + (body.expires_in_seconds ?? this.options.defaultExpirySeconds) * 1000),
      requestedBy: scope.tokenId,
      idempotencyKey,
      requestHash: hash,
    });
    const writerId = this.options.writerId;
    const pending = statusChange(request, CommandStatus.COMMAND_STATUS_PENDING, writerId, now);
    try {
      await this.writer.writeStatus(statusRecord(pending));
    } catch (error) {
      // The record may still have been stored (a timeout): mark it never queued, if Kafka lets us.
      await this.notQueued(request, error, false);
      this.unavailable(error);
    }
    this.view.apply(pending);
    try {
      await this.writer.writeLog(requestLogRecord(request, writerId, this.now()).outgoing);
    } catch (error) {
      await this.notQueued(request, error, true);
      this.unavailable(error);
    }
    this.logger.info(
      {
        commandId: request.commandId,
        tenantId: request.tenantId,
        agentId: request.agentId,
        containerId: request.containerId,
        action: body.command,
        requestedBy: request.requestedBy,
      },
      'command accepted',
    );
    return this.view.get(request.commandId)!;
  }

  /** Best effort: an EXPIRED "not queued: <error>" status; applied here when `applyHere`. */
  private async notQueued(
    request: commandspb.CommandRequest,
    error: unknown,
    applyHere: boolean,
  ): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const expired = statusChange(
      request,
      CommandStatus.COMMAND_STATUS_EXPIRED,
      this.options.writerId,
      this.now(),
      `${NOT_QUEUED}: ${reason}`,
    );
    if (applyHere) this.view.apply(expired);
    try {
      await this.writer.writeStatus(statusRecord(expired));
    } catch (second) {
      this.logger.warn(
        { err: second, commandId: request.commandId },
        'could not record that a command was not queued',
      );
    }
    this.logger.warn({ err: error, commandId: request.commandId }, 'command not queued: Kafka refused it');
  }

  private unavailable(error: unknown): never {
    const reason = error instanceof Error ? error.message : String(error);
    fail(
      'unavailable',
      `command not accepted, nothing will be delivered: Kafka did not acknowledge it (${reason}); retry`,
    );
  }
}
