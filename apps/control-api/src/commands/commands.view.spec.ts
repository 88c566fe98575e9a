import { commandspb } from '@app/contracts';
import { commandJson } from './command-json';
import { CommandsView } from './commands.view';
import { change, request } from './test-fixtures';

const S = commandspb.CommandStatus;
const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const HOUR = 3600_000;

function view(now = { ms: 10_000 }) {
  return { now, view: new CommandsView({ retentionMs: 24 * HOUR, now: () => now.ms }) };
}
const statuses = (v: CommandsView, id: string) => v.get(id)?.history.map((t) => t.status);

describe('CommandsView: the fold of command-status', () => {
  it('keeps each status once: a duplicate record changes nothing', () => {
    const { view: v } = view();
    const r = request(ID(1));
    expect(v.apply(change(r, S.COMMAND_STATUS_PENDING, 1000))).toBe(true);
    expect(v.apply(change(r, S.COMMAND_STATUS_PENDING, 1000))).toBe(false);
    expect(v.apply(change(r, S.COMMAND_STATUS_DELIVERED, 2000, { gatewayId: 'gw-1', streamId: 's1' }))).toBe(
      true,
    );
    expect(v.apply(change(r, S.COMMAND_STATUS_DELIVERED, 2500))).toBe(false);
    expect(statuses(v, r.commandId)).toEqual([S.COMMAND_STATUS_PENDING, S.COMMAND_STATUS_DELIVERED]);
    expect(v.get(r.commandId)!.history[1]).toMatchObject({ atMs: 2000, gatewayId: 'gw-1', streamId: 's1' });
    expect(v.get(r.commandId)!.status).toBe(S.COMMAND_STATUS_DELIVERED);
  });

  it('orders history by rank whatever order records come in; a late pending never downgrades', () => {
    const { view: v } = view();
    const r = request(ID(2));
    v.apply(change(r, S.COMMAND_STATUS_SUCCEEDED, 3000));
    v.apply(change(r, S.COMMAND_STATUS_DELIVERED, 2000));
    expect(v.get(r.commandId)!.status).toBe(S.COMMAND_STATUS_SUCCEEDED);
    v.apply(change(r, S.COMMAND_STATUS_PENDING, 1000));
    const state = v.get(r.commandId)!;
    expect(state.status).toBe(S.COMMAND_STATUS_SUCCEEDED);
    expect(statuses(v, r.commandId)).toEqual([
      S.COMMAND_STATUS_PENDING,
      S.COMMAND_STATUS_DELIVERED,
      S.COMMAND_STATUS_SUCCEEDED,
    ]);
    expect(state.updatedAtMs).toBe(3000);
    expect(commandJson(state).history.map((h) => h.status)).toEqual(['pending', 'delivered', 'succeeded']);
  });

  it('the first terminal status wins; a later, different one is ignored', () => {
    const { view: v } = view();
    const r = request(ID(3));
    v.apply(change(r, S.COMMAND_STATUS_PENDING, 1000));
    v.apply(change(r, S.COMMAND_STATUS_EXPIRED, 5000, { detail: 'expired before delivery' }));
    expect(v.apply(change(r, S.COMMAND_STATUS_SUCCEEDED, 6000))).toBe(false);
    expect(v.apply(change(r, S.COMMAND_STATUS_DELIVERED, 4000))).toBe(true);
    const state = v.get(r.commandId)!;
    expect(state.status).toBe(S.COMMAND_STATUS_EXPIRED);
    expect(state.terminalAtMs).toBe(5000);
    expect(commandJson(state)).toMatchObject({
      status: 'expired',
      history: [
        { status: 'pending' },
        { status: 'delivered' },
        { status: 'expired', detail: 'expired before delivery' },
      ],
    });
  });

  it('ignores records without their request, or with an unknown status', () => {
    const { view: v } = view();
    const r = request(ID(4));
    expect(v.apply(change(r, S.COMMAND_STATUS_PENDING, 1000, { command: undefined }))).toBe(false);
    expect(v.apply(change(r, S.COMMAND_STATUS_UNSPECIFIED, 1000))).toBe(false);
    expect(v.get(r.commandId)).toBeUndefined();
  });

  it('forgets a command retention after its terminal status, or after its expiry without one, and its key', () => {
    const { now, view: v } = view({ ms: 48 * HOUR });
    const done = request(ID(5), {
      idempotencyKey: 'k5',
      requestHash: 'h',
      requestedAtMs: String(22 * HOUR),
      expiresAtMs: String(22 * HOUR + 7 * 24 * HOUR),
    });
    const stuck = request(ID(6), {
      requestedAtMs: String(40 * HOUR),
      expiresAtMs: String(40 * HOUR + 300_000),
    });
    const fresh = request(ID(7), {
      requestedAtMs: String(47 * HOUR),
      expiresAtMs: String(47 * HOUR + 300_000),
    });
    // Concluded 25 h ago: dropped as soon as it is concluded (a replay of old records).
    v.apply(change(done, S.COMMAND_STATUS_PENDING, 22 * HOUR));
    expect(v.prior('acme', 'k5')).toEqual({ commandId: done.commandId, requestHash: 'h' });
    v.apply(change(done, S.COMMAND_STATUS_SUCCEEDED, 23 * HOUR));
    expect(v.get(done.commandId)).toBeUndefined();
    expect(v.prior('acme', 'k5')).toBeUndefined();
    v.apply(change(stuck, S.COMMAND_STATUS_PENDING, 40 * HOUR));
    v.apply(change(fresh, S.COMMAND_STATUS_PENDING, 47 * HOUR));
    v.apply(change(fresh, S.COMMAND_STATUS_FAILED, 47 * HOUR + 1000));
    expect(v.size).toBe(2);
    // 24 h after the stuck one's expiry, and after the fresh one's conclusion, the sweep drops them.
    now.ms = 64 * HOUR + 300_001;
    v.sweep();
    expect(v.get(stuck.commandId)).toBeUndefined();
    expect(v.get(fresh.commandId)).toBeDefined();
    now.ms = 71 * HOUR + 1001;
    expect(v.get(fresh.commandId)).toBeUndefined();
    expect(v.size).toBe(0);
  });
});

describe('CommandsView: idempotency keys', () => {
  it('indexes a key by the tenant of the command, from the request on any record', () => {
    const { view: v } = view();
    const r = request(ID(10), { idempotencyKey: 'key-1', requestHash: 'abc' });
    v.apply(change(r, S.COMMAND_STATUS_DELIVERED, 2000));
    expect(v.prior('acme', 'key-1')).toEqual({ commandId: r.commandId, requestHash: 'abc' });
    expect(v.prior('globex', 'key-1')).toBeUndefined();
    expect(v.prior('acme', 'key-2')).toBeUndefined();
  });

  it('the first command of a key keeps it; a command never queued gives it back', () => {
    const { view: v } = view();
    const first = request(ID(11), { idempotencyKey: 'k', requestHash: 'h1' });
    const second = request(ID(12), { idempotencyKey: 'k', requestHash: 'h2' });
    v.apply(change(first, S.COMMAND_STATUS_PENDING, 1000));
    v.apply(change(second, S.COMMAND_STATUS_PENDING, 1001));
    expect(v.prior('acme', 'k')?.commandId).toBe(first.commandId);
    v.apply(change(first, S.COMMAND_STATUS_EXPIRED, 1002, { detail: 'not queued: broker down' }));
    expect(v.prior('acme', 'k')).toBeUndefined();
    const third = request(ID(13), { idempotencyKey: 'k', requestHash: 'h3' });
    v.apply(change(third, S.COMMAND_STATUS_PENDING, 1003));
    expect(v.prior('acme', 'k')?.commandId).toBe(third.commandId);
    // An ordinary expiry keeps the key.
    v.apply(change(third, S.COMMAND_STATUS_EXPIRED, 1004, { detail: 'expired' }));
    expect(v.prior('acme', 'k')?.commandId).toBe(third.commandId);
  });
});

describe('CommandsView: pages', () => {
  it('newest first, a stable position, filters by tenant, agent and status', () => {
    const { view: v } = view();
    for (let i = 1; i <= 7; i++) {
      const r = request(ID(20 + i), {
        requestedAtMs: String(1000 + (i % 4) * 10),
        tenantId: i === 7 ? 'globex' : 'acme',
        agentId: i === 6 ? 'ag_bbbbbbbbbbbbbbbbbbbb' : 'ag_aaaaaaaaaaaaaaaaaaaa',
      });
      v.apply(change(r, S.COMMAND_STATUS_PENDING, 1000));
      if (i === 5) v.apply(change(r, S.COMMAND_STATUS_DELIVERED, 1001));
    }
    const all: string[] = [];
    let after;
    for (;;) {
      const page = v.page({ tenant: 'acme' }, 2, after);
      all.push(...page.items.map((s) => s.request.commandId.slice(-2)));
      if (!page.next) break;
      after = page.next;
      // A newer command arriving between pages does not move the rest.
      if (all.length === 2)
        v.apply(change(request(ID(99), { requestedAtMs: '9999' }), S.COMMAND_STATUS_PENDING, 9999));
    }
    // times: 21→1010, 22→1020, 23→1030, 24→1000, 25→1010, 26→1020; same time: higher id first
    expect(all).toEqual(['23', '26', '22', '25', '21', '24']);
    expect(v.page({ tenant: undefined }, 100).items).toHaveLength(8);
    expect(v.page({ tenant: 'globex' }, 100).items.map((s) => s.request.commandId)).toEqual([ID(27)]);
    expect(
      v
        .page({ tenant: 'acme', agentId: 'ag_bbbbbbbbbbbbbbbbbbbb' }, 100)
        .items.map((s) => s.request.commandId),
    ).toEqual([ID(26)]);
    expect(
      v
        .page({ tenant: 'acme', status: S.COMMAND_STATUS_DELIVERED }, 100)
        .items.map((s) => s.request.commandId),
    ).toEqual([ID(25)]);
    // 7 of acme now (with the newer one): a page of exactly 7 has no next.
    const exact = v.page({ tenant: 'acme' }, 7);
    expect(exact.next).toBeUndefined();
  });
});
