import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient, migrate } from '@app/clickhouse';
import { agentpb, alertspb, commandspb, HEADER } from '@app/contracts';
import type { SourceRecord } from '../projections/source-record';
import { RowSink } from './row-sink';

const DB = 'rowsink_test';

/** Stats records of one source per partition (as the gateway's keys place them); sample time follows the offset. */
function records(partition: number, from: number, to: number, timeShift = 0): SourceRecord[] {
  return Array.from({ length: to - from }, (_, i) => {
    const offset = from + i;
    const value = agentpb.AgentMessage.encode(
      agentpb.AgentMessage.fromPartial({
        type: agentpb.DataType.CONTAINER_STATS,
        host: `h${partition}`,
        timestamp: String(1764000000000 + offset - timeShift),
        statsData: {
          stats: [
            agentpb.ContainerStats.fromPartial({ id: 'a' }),
            agentpb.ContainerStats.fromPartial({ id: 'b' }),
          ],
        },
      }),
    ).finish();
    return {
      partition,
      offset: String(offset),
      value,
      headers: {
        [HEADER.tenantId]: 't',
        [HEADER.agentId]: 'a',
        [HEADER.messageId]: `${partition}:${offset}`,
      },
    };
  });
}

/** The row sink against the real engine: what a crash, a replay or a rebalance leaves behind. */
describe('RowSink (embedded ClickHouse)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rowsink-'));
  let client: ClickHouseClient;

  beforeAll(async () => {
    client = createClickHouseClient({ path: dir });
    await migrate(client, { database: DB, ttlDays: 3650, rollupTtlDays: 3650 });
  });

  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await client.command({ query: `TRUNCATE TABLE ${DB}.container_stats` });
  });

  const count = async () => {
    const result = await client.query({
      query: `SELECT count() AS n, uniqExact(message_id, container_id) AS u FROM ${DB}.container_stats`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string; u: string }>();
    return { n: Number(row.n), u: Number(row.u) };
  };

  it('skips records a previous owner stored, after a rebalance or restart', async () => {
    await new RowSink(client, DB).project('stats', records(0, 0, 100));
    const result = await new RowSink(client, DB).project('stats', records(0, 50, 150));
    expect(result).toMatchObject({ duplicates: 50, inserted: 100 });
    expect(await count()).toEqual({ n: 300, u: 300 });
  });

  it('completes an insert that was cut short, without doubling what landed', async () => {
    const sink = new RowSink(client, DB);
    await sink.project('stats', [...records(1, 0, 10), ...records(1, 20, 30)]);
    const result = await new RowSink(client, DB).project('stats', records(1, 0, 40));
    expect(result).toMatchObject({ duplicates: 20, inserted: 40 });
    expect(await count()).toEqual({ n: 80, u: 80 });
  });

  it('relearns what is stored after forget, and keeps partitions apart', async () => {
    const sink = new RowSink(client, DB);
    await sink.project('stats', records(0, 0, 10));
    sink.forget('stats');
    const result = await sink.project('stats', [...records(0, 5, 15), ...records(2, 5, 15)]);
    expect(result).toMatchObject({ duplicates: 5, inserted: 30 });
    expect(await count()).toEqual({ n: 50, u: 50 });
  });

  it('stores a record delivered twice in one batch once', async () => {
    const twice = [...records(0, 0, 5), ...records(0, 3, 8)];
    const result = await new RowSink(client, DB).project('stats', twice);
    expect(result).toMatchObject({ duplicates: 2, inserted: 16 });
    expect(await count()).toEqual({ n: 16, u: 16 });
  });

  describe('natural identity (resends and producer retries land at other offsets)', () => {
    const rollup = async () => {
      const result = await client.query({
        query: `SELECT sum(samples) AS s FROM ${DB}.container_stats_1m`,
        format: 'JSONEachRow',
      });
      return Number((await result.json<{ s: string }>())[0].s);
    };

    beforeEach(async () => {
      await client.command({ query: `TRUNCATE TABLE ${DB}.container_stats_1m` });
    });

    it('stores a resent sample once, in the table and in its rollup', async () => {
      const sink = new RowSink(client, DB);
      await sink.project('stats', records(3, 0, 10));
      // The agent resends samples 5..9 (not ACKed) and goes on with 10..14: offsets 10..19.
      const resent = records(3, 10, 20, 5);
      const result = await sink.project('stats', resent);
      expect(result).toMatchObject({ inserted: 10, duplicates: 5 });
      expect(await count()).toEqual({ n: 30, u: 30 });
      expect(await rollup()).toBe(30);
    });

    it('recognises a resend after a restart, by asking the table', async () => {
      await new RowSink(client, DB).project('stats', records(4, 0, 10));
      const result = await new RowSink(client, DB).project('stats', records(4, 10, 20, 10));
      expect(result).toMatchObject({ inserted: 0, duplicates: 10 });
      expect(await count()).toEqual({ n: 20, u: 20 });
      expect(await rollup()).toBe(20);
    });

    it('stores a copy once when both copies arrive in one batch', async () => {
      const result = await new RowSink(client, DB).project('stats', [
        ...records(5, 0, 3),
        ...records(5, 3, 6, 3),
      ]);
      expect(result).toMatchObject({ inserted: 6, duplicates: 3 });
      expect(await count()).toEqual({ n: 6, u: 6 });
    });

    it('keeps a late sample that was never stored', async () => {
      const sink = new RowSink(client, DB);
      await sink.project('stats', [...records(6, 0, 4), ...records(6, 5, 8)]);
      // Sample 4 arrives late, at offset 8 (time 1764000000004).
      const result = await sink.project('stats', records(6, 8, 9, 4));
      expect(result).toMatchObject({ inserted: 2, duplicates: 0 });
      expect(await count()).toEqual({ n: 16, u: 16 });
    });
  });

  describe('command status transitions: one row per (command_id, status)', () => {
    const { CommandStatus } = commandspb;
    const transition = (
      offset: number,
      commandId: string,
      status: commandspb.CommandStatus,
      atMs: number,
    ) => ({
      partition: 0,
      offset: String(offset),
      value: commandspb.CommandStatusChanged.encode(
        commandspb.CommandStatusChanged.fromPartial({
          eventId: `ev-${offset}`,
          commandId,
          status,
          atMs: String(atMs),
          command: {
            commandId,
            tenantId: 't',
            agentId: 'a',
            action: commandspb.CommandAction.COMMAND_ACTION_STOP,
            requestedAtMs: '1764000000000',
          },
        }),
      ).finish(),
      headers: {},
    });
    const stored = async () => {
      const result = await client.query({
        query: `SELECT command_id, status FROM ${DB}.commands ORDER BY command_id, ts`,
        format: 'JSONEachRow',
      });
      return (await result.json<{ command_id: string; status: string }>()).map(
        (r) => `${r.command_id}:${r.status}`,
      );
    };

    beforeEach(async () => {
      await client.command({ query: `TRUNCATE TABLE ${DB}.commands` });
    });

    it('stores a transition written twice (even at another time) once, in one batch or later, after a restart too', async () => {
      const sink = new RowSink(client, DB);
      const first = await sink.project('commands', [
        transition(0, 'c1', CommandStatus.COMMAND_STATUS_PENDING, 1764000000001),
        transition(1, 'c1', CommandStatus.COMMAND_STATUS_PENDING, 1764000000001),
        transition(2, 'c1', CommandStatus.COMMAND_STATUS_DELIVERED, 1764000000002),
      ]);
      expect(first).toMatchObject({ inserted: 2, duplicates: 1 });
      const second = await sink.project('commands', [
        transition(3, 'c1', CommandStatus.COMMAND_STATUS_DELIVERED, 1764000000009),
        transition(4, 'c2', CommandStatus.COMMAND_STATUS_PENDING, 1764000000003),
        transition(5, 'c1', CommandStatus.COMMAND_STATUS_SUCCEEDED, 1764000000004),
      ]);
      expect(second).toMatchObject({ inserted: 2, duplicates: 1 });
      const afterRestart = await new RowSink(client, DB).project('commands', [
        transition(6, 'c1', CommandStatus.COMMAND_STATUS_SUCCEEDED, 1764000000004),
        transition(7, 'c2', CommandStatus.COMMAND_STATUS_EXPIRED, 1764000000005),
      ]);
      expect(afterRestart).toMatchObject({ inserted: 1, duplicates: 1 });
      expect(await stored()).toEqual([
        'c1:pending',
        'c1:delivered',
        'c1:succeeded',
        'c2:pending',
        'c2:expired',
      ]);
    });
  });

  describe('alert transitions: one row per (fingerprint, state, starts_at)', () => {
    const { AlertState } = alertspb;
    const entry = (offset: number, fingerprint: string, state: alertspb.AlertState, startsAtMs: number) => ({
      partition: 0,
      offset: String(offset),
      value: alertspb.AlertLogRecord.encode(
        alertspb.AlertLogRecord.fromPartial({
          recordId: `rec-${offset}`,
          emittedAtMs: String(1764000000000 + offset),
          transition: {
            fingerprint,
            ruleName: 'r',
            state,
            tenantId: 't',
            agentId: 'a',
            atMs: String(1764000000000 + offset),
            startsAtMs: String(startsAtMs),
          },
        }),
      ).finish(),
      headers: {},
    });
    const notified = (offset: number) => ({
      partition: 0,
      offset: String(offset),
      value: alertspb.AlertLogRecord.encode(
        alertspb.AlertLogRecord.fromPartial({
          notified: { fingerprint: 'f1', channel: 'webhook', ok: true },
        }),
      ).finish(),
      headers: {},
    });
    const stored = async () => {
      const result = await client.query({
        query: `SELECT fingerprint, state, toUnixTimestamp64Milli(starts_at) AS s FROM ${DB}.alerts ORDER BY fingerprint, ts`,
        format: 'JSONEachRow',
      });
      return (await result.json<{ fingerprint: string; state: string; s: string }>()).map(
        (r) => `${r.fingerprint}:${r.state}:${Number(r.s) - 1764000000000}`,
      );
    };

    it('stores a transition emitted again (in one batch, later, after a restart) once; a new firing is new', async () => {
      const sink = new RowSink(client, DB);
      const first = await sink.project('alerts', [
        entry(0, 'f1', AlertState.ALERT_STATE_PENDING, 1764000000000),
        entry(1, 'f1', AlertState.ALERT_STATE_FIRING, 1764000000001),
        entry(2, 'f1', AlertState.ALERT_STATE_FIRING, 1764000000001),
        notified(3),
      ]);
      expect(first).toMatchObject({ inserted: 2, duplicates: 1 });
      const afterRestart = await new RowSink(client, DB).project('alerts', [
        entry(4, 'f1', AlertState.ALERT_STATE_FIRING, 1764000000001),
        entry(5, 'f1', AlertState.ALERT_STATE_RESOLVED, 1764000000001),
        entry(6, 'f1', AlertState.ALERT_STATE_FIRING, 1764000000100),
        entry(7, 'f2', AlertState.ALERT_STATE_FIRING, 1764000000001),
      ]);
      expect(afterRestart).toMatchObject({ inserted: 3, duplicates: 1 });
      expect(await stored()).toEqual([
        'f1:pending:0',
        'f1:firing:1',
        'f1:resolved:1',
        'f1:firing:100',
        'f2:firing:1',
      ]);
    });
  });
});
