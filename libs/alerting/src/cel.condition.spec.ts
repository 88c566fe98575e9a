import {
  activationForAgent,
  activationForContainer,
  activationForEvent,
  activationForStats,
  type EventFacts,
  type StatsFacts,
} from './cel.activation';
import { compileCondition, type Condition } from './cel.condition';
import type { RuleSource } from './rule.types';

const where = { host: 'web-1', agentId: 'agent-1', tenant: 't1' };
const statsFacts = (
  cpuPercent: number,
  memoryLimit: StatsFacts['stats']['memoryLimit'] = '2048',
): StatsFacts => ({
  ...where,
  container: { id: 'c1', name: 'web' },
  stats: { cpuPercent, memoryUsage: '1024', memoryLimit, memoryPercent: 50, networkRx: 1, networkTx: 2n },
});
const eventFacts = (action: string, attrs: Record<string, string> = {}): EventFacts => ({
  ...where,
  container: { id: 'c1', name: 'web' },
  event: { type: 'container', action, actorId: 'c1', actorName: 'web', attrs, timeMs: 1_700_000_000_000 },
});

function compile(source: RuleSource, when: string): Condition {
  const result = compileCondition(source, when);
  if (!result.ok) throw new Error(result.message);
  return result.condition;
}

describe('compileCondition', () => {
  it('compares a double with an int literal (the issue example)', () => {
    const high = compile('stats', 'stats.cpu_percent > 90');
    expect(high.evaluate(activationForStats(statsFacts(95.5)))).toEqual({ ok: true, value: true });
    expect(high.evaluate(activationForStats(statsFacts(90)))).toEqual({ ok: true, value: false });
  });

  it('evaluates the container-died example', () => {
    const died = compile('events', 'event.action == "die" && !(event.attrs["exitCode"] in ["0", "143"])');
    expect(died.evaluate(activationForEvent(eventFacts('die', { exitCode: '137' })))).toEqual({
      ok: true,
      value: true,
    });
    expect(died.evaluate(activationForEvent(eventFacts('die', { exitCode: '143' })))).toEqual({
      ok: true,
      value: false,
    });
    expect(died.evaluate(activationForEvent(eventFacts('start')))).toEqual({ ok: true, value: false });
  });

  it('binds ints as CEL ints, strings and the strings extension', () => {
    const c = compile(
      'stats',
      'stats.memory_usage * 2 == stats.memory_limit && stats.network_tx == 2 && host.startsWith("web") && container.name.upperAscii() == "WEB" && agent_id == "agent-1" && tenant == "t1"',
    );
    expect(c.evaluate(activationForStats(statsFacts(1)))).toEqual({ ok: true, value: true });
    const t = compile(
      'events',
      'event.time > 1600000000000 && event.time % 1000 == 0 && "exitCode" in event.attrs',
    );
    expect(t.evaluate(activationForEvent(eventFacts('die', { exitCode: '1' })))).toEqual({
      ok: true,
      value: true,
    });
  });

  it('binds agents and containers', () => {
    const a = compile(
      'agents',
      'agent.name == "edge" && agent.agent_id == agent_id && agent.tenant == tenant',
    );
    expect(a.evaluate(activationForAgent({ agentId: 'a1', tenant: 't1', name: 'edge' }))).toEqual({
      ok: true,
      value: true,
    });
    const c = compile('containers', 'container.state == "running" && container.image.contains("nginx")');
    const facts = { ...where, container: { id: 'c', name: 'n', image: 'nginx:1', state: 'running' } };
    expect(c.evaluate(activationForContainer(facts))).toEqual({ ok: true, value: true });
  });

  it('supports macros and comprehension variables', () => {
    const c = compile('events', 'event.attrs.exists(k, k.startsWith("com.")) && [1, 2].all(x, x > 0)');
    expect(c.evaluate(activationForEvent(eventFacts('die', { 'com.docker': 'x' })))).toEqual({
      ok: true,
      value: true,
    });
  });

  it('an empty condition always holds', () => {
    expect(compile('agents', '').evaluate({})).toEqual({ ok: true, value: true });
  });

  it.each([
    ['events', 'event.action ==', /expecting/],
    ['events', 'evnt.action == "die"', /undeclared reference to 'evnt'/],
    ['events', 'stats.cpu_percent > 1', /undeclared reference to 'stats'/],
    ['stats', 'stats.cpu > 90', /'stats' has no field 'cpu'/],
    ['stats', 'frobnicate(stats.cpu_percent)', /unknown function 'frobnicate'/],
    ['agents', 'host == "x"', /undeclared reference to 'host'/],
    ['containers', 'container.state.nosuch()', /unknown function 'nosuch'/],
  ] as const)('%s: %s is a compile error', (source, when, message) => {
    const result = compileCondition(source, when);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('refuses conditions longer than 4 KiB', () => {
    const result = compileCondition('stats', `stats.cpu_percent > 1 ${'|| true '.repeat(600)}`);
    expect(result).toEqual({ ok: false, message: expect.stringContaining('longer than 4096') });
  });

  describe('run-time errors come back as values', () => {
    it.each([
      [
        'events',
        'event.attrs["missing"] == "x"',
        activationForEvent(eventFacts('die', { other: 'y' })),
        /missing/,
      ],
      [
        'stats',
        'stats.memory_usage / stats.memory_limit > 0',
        activationForStats(statsFacts(1, 0)),
        /divide by zero/,
      ],
      ['stats', 'stats.cpu_percent + 1 > 2', activationForStats(statsFacts(1)), /no matching overload/],
      [
        'stats',
        'stats.cpu_percent',
        activationForStats(statsFacts(1)),
        /condition returned double, not bool/,
      ],
      ['stats', 'host', activationForStats(statsFacts(1)), /condition returned string, not bool/],
      ['stats', 'stats.cpu_percent > 1', {}, /./],
      ['stats', 'stats.cpu_percent > 1', { stats: null }, /./],
    ] as const)('%s: %s', (source, when, activation, error) => {
      const condition = compile(source, when);
      let result: ReturnType<Condition['evaluate']> | undefined;
      expect(() => (result = condition.evaluate(activation))).not.toThrow();
      expect(result).toEqual({ ok: false, error: expect.stringMatching(error) });
    });

    it('a getter that throws is caught', () => {
      const hostile = Object.defineProperty({}, 'cpu_percent', {
        enumerable: true,
        get() {
          throw new Error('boom');
        },
      });
      const result = compile('stats', 'stats.cpu_percent > 1').evaluate({ stats: hostile });
      expect(result.ok).toBe(false);
    });
  });
});
