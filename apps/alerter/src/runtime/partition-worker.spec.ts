import { compileCondition, RuleDefinition } from '@app/alerting';
import { alertspb } from '@app/contracts';
import type { EngineRule } from '../engine';
import type { KnownAlert } from './alert-log';
import { PartitionWorker } from './partition-worker';

const NOW = 1_800_000_000_000;
const rule = (over: Partial<RuleDefinition>): RuleDefinition => ({
  name: 'died',
  source: 'events',
  when: 'event.action == "die"',
  severity: 'warning',
  labels: {},
  annotations: {},
  forMs: 0,
  keepFiringForMs: 0,
  absentForMs: 0,
  resolveAfterMs: 60_000,
  tenantId: '',
  ...over,
});
const compiled = (d: RuleDefinition): EngineRule => {
  const c = compileCondition(d.source, d.when);
  if (!c.ok) throw new Error(c.message);
  return { definition: d, condition: d.when ? c.condition : undefined };
};
const hooks = { ruleError: () => undefined, late: () => undefined, seriesCapped: () => undefined };
const die = (receivedAtMs: number) => ({
  kind: 'event' as const,
  tenantId: 't',
  agentId: 'ag',
  host: 'h',
  receivedAtMs,
  eventTimeMs: receivedAtMs,
  event: { type: 'container', action: 'die', actorId: 'abc', actorName: 'web', attrs: {} },
});
const known = (t: Partial<alertspb.AlertTransition>): KnownAlert => ({
  transition: alertspb.AlertTransition.fromPartial({ state: alertspb.AlertState.ALERT_STATE_FIRING, ...t }),
  notified: new Map(),
  remediations: [],
});

describe('PartitionWorker', () => {
  it('takes exactly the next offsets: skips a batch ahead of them (to seek), trims one behind them', () => {
    const w = new PartitionWorker(0, () => [], 1000, hooks);
    w.expect('events', 5n, 8n);
    expect(w.take('events', [{ offset: '9' }])).toEqual({ messages: [], gapAt: 5n });
    expect(w.take('events', [{ offset: '5' }, { offset: '6' }]).messages).toHaveLength(2);
    expect(w.take('events', [{ offset: '5' }, { offset: '6' }, { offset: '7' }]).messages).toEqual([
      { offset: '7' },
    ]);
    w.ingest('events', []);
    expect(w.rebuilt()).toBe(true);
  });

  it('emits nothing while rebuilding; the reconcile emits only what differs from the alerts topic', () => {
    const rules = [compiled(rule({}))];
    const w = new PartitionWorker(0, () => rules, 60_000, hooks);
    w.expect('events', 0n, 1n);
    expect(w.ingest('events', [die(NOW - 1000)])).toEqual([]); // fires inside the engine only
    w.take('events', [{ offset: '0' }]);
    w.ingest('events', []);
    const fingerprint = w.engine.alerts()[0].fingerprint;
    // already firing in the alerts topic: nothing to emit
    expect(
      w.reconcile([known({ fingerprint, ruleName: 'died' })], () => rules[0].definition, NOW).emit,
    ).toEqual([]);
  });

  it('an alert the rebuild saw fire and end since is not emitted again', () => {
    const rules = [compiled(rule({}))];
    const w = new PartitionWorker(0, () => rules, 60_000, hooks);
    w.expect('events', 0n, 1n);
    w.take('events', [{ offset: '0' }]);
    w.ingest('events', [die(NOW - 10 * 60_000)]); // quiet for 10 min > resolve_after
    expect(w.reconcile([], () => rules[0].definition, NOW).emit).toEqual([]);
  });

  it('a known firing alert of an event rule not seen again is resolved; of an absence rule it stays until heard of', () => {
    const events = rule({});
    const silent = rule({ name: 'silent', source: 'agents', when: '', absentForMs: 1000 });
    const w = new PartitionWorker(0, () => [compiled(events), compiled(silent)], 60_000, hooks);
    w.expect('events', 0n, 0n);
    const byName = (n: string) => (n === 'silent' ? silent : events);
    const { emit, unchanged } = w.reconcile(
      [
        known({ fingerprint: 'f1', ruleName: 'died', agentId: 'ag', host: 'h' }),
        known({ fingerprint: 'f2', ruleName: 'silent', agentId: 'ag' }),
      ],
      byName,
      NOW,
    );
    expect(emit.map((c) => [c.fingerprint, c.state])).toEqual([['f1', 'resolved']]);
    expect(unchanged).toEqual(['f2']);
    const heard = w.ingest('events', [
      { kind: 'agent', tenantId: 't', agentId: 'ag', receivedAtMs: NOW + 5, what: 'heartbeat' },
    ]);
    expect(heard.filter((c) => c.fingerprint === 'f2').map((c) => c.state)).toEqual(['resolved']);
  });
});
