import { commandspb, HEADER, SCHEMA } from '@app/contracts';
import type { AppLogger } from '@app/observability';
import type { ApiScope } from '../auth/api-tokens';
import type { FleetView } from '../fleet/fleet.view';
import { ProblemException } from '../http/problem';
import type { OutgoingRecord } from '@app/contracts';
import { CommandsService, CommandWriter, CreateCommand } from './commands.service';
import { CommandsView } from './commands.view';
import { AGENT_A, agentState } from './test-fixtures';

const S = commandspb.CommandStatus;
const ACME: ApiScope = { kind: 'tenant', tenant: 'acme', tokenId: 'tok_acme' };
const GLOBEX: ApiScope = { kind: 'tenant', tenant: 'globex', tokenId: 'tok_globex' };
const OPERATOR: ApiScope = { kind: 'operator', tokenId: 'tok_op' };
const body: CreateCommand = { agent_id: AGENT_A, host: 'h1', container: 'web', command: 'STOP' };
const logger = { info: () => undefined, warn: () => undefined } as unknown as AppLogger;

class FakeWriter implements CommandWriter {
  written: { topic: 'status' | 'log'; record: OutgoingRecord }[] = [];
  failLog?: Error;
  failStatus?: Error;
  delayMs = 0;
  ready = true;

  async writeStatus(record: OutgoingRecord): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failStatus) throw this.failStatus;
    this.written.push({ topic: 'status', record });
  }
  async writeLog(record: OutgoingRecord): Promise<void> {
    if (this.failLog) throw this.failLog;
    this.written.push({ topic: 'log', record });
  }
  readModelsReady(): boolean {
    return this.ready;
  }
}

function setup() {
  const agent = agentState({ h1: [{ id: 'c0ffee000001', name: '/web' }] });
  const fleet = {
    get: (tenant: string | undefined, id: string) =>
      id === agent.agentId && (tenant === undefined || tenant === agent.tenantId) ? agent : undefined,
  } as unknown as FleetView;
  const view = new CommandsView({ retentionMs: 3600_000, now: () => 1_000_000 });
  const writer = new FakeWriter();
  const service = new CommandsService(
    view,
    fleet,
    writer,
    { writerId: 'control-api-test', defaultExpirySeconds: 300 },
    logger,
    () => 1_000_000,
  );
  return { view, writer, service };
}

async function problemOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProblemException) return error.problem;
    throw error;
  }
  throw new Error('no problem raised');
}

describe('CommandsService', () => {
  it('writes PENDING to command-status, then the request to the command log, and shows it at once', async () => {
    const { view, writer, service } = setup();
    const state = await service.create(ACME, body);
    expect(writer.written.map((w) => w.topic)).toEqual(['status', 'log']);
    const [status, log] = writer.written.map((w) => w.record);
    const event = commandspb.CommandStatusChanged.decode(status.value);
    expect(status.key).toBe(state.request.commandId);
    expect(event).toMatchObject({ status: S.COMMAND_STATUS_PENDING, writer: 'control-api-test' });
    expect(event.command).toEqual(state.request);
    expect(state.request).toMatchObject({
      tenantId: 'acme',
      agentId: AGENT_A,
      containerId: 'c0ffee000001',
      containerName: 'web',
      action: commandspb.CommandAction.COMMAND_ACTION_STOP,
      requestedAtMs: '1000000',
      expiresAtMs: String(1_000_000 + 300_000),
      requestedBy: 'tok_acme',
      idempotencyKey: '',
    });
    expect(status.headers).toMatchObject({
      [HEADER.schema]: SCHEMA.commandStatus,
      [HEADER.tenantId]: 'acme',
      [HEADER.agentId]: AGENT_A,
      [HEADER.messageId]: event.eventId,
    });
    const record = commandspb.CommandLogRecord.decode(log.value);
    expect(log.key).toBe(AGENT_A);
    expect(log.headers[HEADER.schema]).toBe(SCHEMA.commandLog);
    expect(record).toMatchObject({ tenantId: 'acme', agentId: AGENT_A, writer: 'control-api-test' });
    expect(record.requested).toEqual(state.request);
    expect(view.get(state.request.commandId)?.status).toBe(S.COMMAND_STATUS_PENDING);
  });

  it('an operator commands any agent; the command is of the agent tenant', async () => {
    const { service } = setup();
    const state = await service.create(OPERATOR, { ...body, expires_in_seconds: 60 });
    expect(state.request).toMatchObject({ tenantId: 'acme', requestedBy: 'tok_op', expiresAtMs: '1060000' });
  });

  it("another tenant's agent is not found", async () => {
    const { service, writer } = setup();
    expect(await problemOf(service.create(GLOBEX, body))).toMatchObject({
      status: 404,
      detail: `agent ${AGENT_A} not found`,
    });
    expect(writer.written).toEqual([]);
  });

  it('the same Idempotency-Key and body: the same command, written once, also when sent together', async () => {
    const { service, writer } = setup();
    writer.delayMs = 20;
    const states = await Promise.all([1, 2, 3].map(() => service.create(ACME, body, 'key-1')));
    expect(new Set(states.map((s) => s.request.commandId)).size).toBe(1);
    expect(writer.written).toHaveLength(2);
    expect(states[0].request.idempotencyKey).toBe('key-1');
    // The operator's retry of the same request finds it too: keys belong to the command's tenant.
    expect((await service.create(OPERATOR, body, 'key-1')).request.commandId).toBe(
      states[0].request.commandId,
    );
    // Another tenant's key space is its own.
    expect(await problemOf(service.create(GLOBEX, body, 'key-1'))).toMatchObject({ status: 404 });
  });

  it('the same key with another body: 409, nothing written', async () => {
    const { service, writer } = setup();
    await service.create(ACME, body, 'key-2');
    const p = await problemOf(service.create(ACME, { ...body, command: 'START' }, 'key-2'));
    expect(p).toMatchObject({
      status: 409,
      code: 'idempotency_key_reused',
      field: '/header/idempotency-key',
    });
    expect(writer.written).toHaveLength(2);
  });

  it('the log refuses: 503, an EXPIRED "not queued" status, and the key is free for a retry', async () => {
    const { service, writer, view } = setup();
    writer.failLog = new Error('broker down');
    const p = await problemOf(service.create(ACME, body, 'key-3'));
    expect(p).toMatchObject({ status: 503, code: 'unavailable' });
    expect(p.detail).toContain('broker down');
    const statuses = writer.written.map((w) => commandspb.CommandStatusChanged.decode(w.record.value));
    expect(statuses.map((s) => [s.status, s.detail])).toEqual([
      [S.COMMAND_STATUS_PENDING, ''],
      [S.COMMAND_STATUS_EXPIRED, 'not queued: broker down'],
    ]);
    expect(view.get(statuses[0].commandId)?.status).toBe(S.COMMAND_STATUS_EXPIRED);
    writer.failLog = undefined;
    const retried = await service.create(ACME, body, 'key-3');
    expect(retried.request.commandId).not.toBe(statuses[0].commandId);
    expect(retried.status).toBe(S.COMMAND_STATUS_PENDING);
  });

  it('the status topic refuses: 503, nothing in the log', async () => {
    const { service, writer } = setup();
    writer.failStatus = new Error('no leader');
    expect(await problemOf(service.create(ACME, body))).toMatchObject({ status: 503 });
    expect(writer.written).toEqual([]);
  });

  it('503 until the read models have caught up', async () => {
    const { service, writer } = setup();
    writer.ready = false;
    expect(await problemOf(service.create(ACME, body))).toMatchObject({ status: 503, code: 'unavailable' });
  });
});
