import { M, S, T0, agent, brief, event, harness, list, rule, stats } from './engine.test-kit';

const silent = rule({ name: 'agent-silent', source: 'agents', absent_for: '90s' });
const missing = rule({ name: 'container-stats-missing', source: 'containers', absent_for: '2m' });

describe('agent absence', () => {
  it('fires when nothing was heard for absent_for and resolves when the agent is seen again', () => {
    const h = harness([silent]);
    h.feed(agent(T0, 'registered', { agentName: 'box-1' }), agent(T0 + 30 * S, 'heartbeat'));
    expect(h.engine.tick(T0 + 119 * S)).toEqual([]);
    const fired = h.engine.tick(T0 + 120 * S);
    expect(brief(fired)).toEqual([['firing', 120 * S]]);
    expect(fired[0]).toMatchObject({ startsAtMs: T0 + 120 * S, agentId: 'a1', host: '', containerName: '' });
    expect(fired[0].labels).toEqual({
      alertname: 'agent-silent',
      severity: 'warning',
      tenant: 't1',
      agent_id: 'a1',
    });
    expect(h.engine.tick(T0 + 200 * S)).toEqual([]);
    const resolved = h.feed(stats(T0 + 190 * S, 1, { receivedAtMs: T0 + 210 * S }));
    expect(brief(resolved)).toEqual([['resolved', 210 * S]]);
  });

  it('offline and stream_closed do not count as seen', () => {
    const h = harness([silent]);
    h.feed(agent(T0, 'heartbeat'), agent(T0 + 60 * S, 'stream_closed'), agent(T0 + 80 * S, 'offline'));
    expect(brief(h.engine.tick(T0 + 90 * S))).toEqual([['firing', 90 * S]]);
    expect(h.feed(agent(T0 + 95 * S, 'offline'))).toEqual([]);
    expect(brief(h.feed(event(T0 + 100 * S, 'start')))).toEqual([['resolved', 100 * S]]);
  });

  it('filters agents with when and stays within its tenant', () => {
    const h = harness([
      rule({
        name: 'prod-silent',
        source: 'agents',
        absent_for: '90s',
        when: 'agent.name.startsWith("prod-")',
        tenant: 't1',
      }),
    ]);
    h.feed(
      agent(T0, 'registered', { agentId: 'a1', agentName: 'prod-1' }),
      agent(T0, 'registered', { agentId: 'a2', agentName: 'dev-1' }),
      agent(T0, 'registered', { agentId: 'a3', agentName: 'prod-2', tenantId: 't2' }),
    );
    expect(h.engine.tick(T0 + 2 * M).map((c) => c.agentId)).toEqual(['a1']);
  });
});

describe('container absence', () => {
  it('fires for a running container without stats and resolves when stats arrive', () => {
    const h = harness([missing]);
    h.feed(
      list(T0, [
        { id: 'c1', name: '/web' },
        { id: 'c2', name: 'db' },
        { id: 'c3', name: 'old', state: 'exited' },
      ]),
    );
    h.feed(stats(T0 + 60 * S, 1, { id: 'c1', name: 'web' }));
    h.feed(agent(T0 + 110 * S, 'heartbeat'));
    const fired = h.engine.tick(T0 + 2 * M);
    expect(fired.map((c) => [c.containerName, c.startsAtMs - T0])).toEqual([['db', 2 * M]]);
    expect(fired[0].labels).toMatchObject({ host: 'h1', container: 'db' });
    expect(h.engine.tick(T0 + 3 * M).map((c) => c.containerName)).toEqual(['web']);
    expect(brief(h.feed(stats(T0 + 200 * S, 1, { id: 'c2', name: 'db' })))).toEqual([['resolved', 200 * S]]);
  });

  it('resolves when a newer list no longer shows the container running, and ignores an older list', () => {
    const h = harness([missing]);
    h.feed(list(T0, [{ id: 'c1', name: 'web' }]), agent(T0 + 2 * M, 'heartbeat'));
    expect(h.engine.tick(T0 + 2 * M)).toHaveLength(1);
    expect(h.feed(list(T0 - S, []))).toEqual([]);
    expect(brief(h.feed(list(T0 + 3 * M, [{ id: 'c1', name: 'web', state: 'exited' }])))).toEqual([
      ['resolved', 3 * M],
    ]);
    expect(h.engine.tick(T0 + 10 * M)).toEqual([]);
  });

  it('stays quiet while the whole agent is silent (the agent rule pages for it)', () => {
    const h = harness([silent, missing]);
    h.feed(
      list(T0, [
        { id: 'c1', name: 'web' },
        { id: 'c2', name: 'db' },
      ]),
    );
    expect(h.engine.tick(T0 + 3 * M).map((c) => c.ruleName)).toEqual(['agent-silent']);
  });

  it('filters containers with when', () => {
    const h = harness([
      rule({ name: 'web-missing', source: 'containers', absent_for: '2m', when: 'container.name == "web"' }),
    ]);
    h.feed(
      list(T0, [
        { id: 'c1', name: 'web' },
        { id: 'c2', name: 'db' },
      ]),
      agent(T0 + 2 * M, 'heartbeat'),
    );
    expect(h.engine.tick(T0 + 2 * M).map((c) => c.containerName)).toEqual(['web']);
  });
});
