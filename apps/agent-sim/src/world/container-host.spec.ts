import { agentpb } from '@app/contracts';
import { CommandResult, ContainerHost } from './container-host';
import { Random } from './random';

describe('ContainerHost', () => {
  it('is reproducible for a seed', () => {
    const a = new ContainerHost('h', 5, new Random(7)).list();
    const b = new ContainerHost('h', 5, new Random(7)).list();
    expect(a).toEqual(b);
  });

  it('only ever grows network counters and keeps memory within its limit', () => {
    const host = new ContainerHost('h', 8, new Random(1));
    const first = host.stats().stats;
    const later = Array.from({ length: 50 }, () => host.stats()).pop()!.stats;
    for (const s of later) {
      const before = first.find((f) => f.id === s.id);
      if (before) expect(BigInt(s.networkRx)).toBeGreaterThanOrEqual(BigInt(before.networkRx));
      expect(BigInt(s.memoryUsage)).toBeLessThanOrEqual(BigInt(s.memoryLimit));
      expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
    }
  });

  describe('commands, like the Docker daemon', () => {
    const { START_CONTAINER: START, STOP_CONTAINER: STOP, RESTART_CONTAINER: RESTART } = agentpb.CommandType;
    const T = 1764000000000;
    const actions = (r: CommandResult) => r.events.map((e) => e.action);
    const stateOf = (host: ContainerHost, id: string) =>
      host.list().containers.find((c) => c.id === id)!.state;
    /** A host with a running and a stopped container (the seed gives 90% running). */
    const fixture = (failing: string[] = []) => {
      const host = new ContainerHost('h', 10, new Random(3), failing);
      const list = host.list().containers;
      const running = list.find((c) => c.state === 'running')!;
      host.command(STOP, running.id, T - 1000);
      const stopped = running;
      const up = host.list().containers.find((c) => c.state === 'running')!;
      return { host, up, stopped };
    };

    it('resolves an exact id, a name with or without "/", and a unique id prefix', () => {
      const { host, up } = fixture();
      const find = (target: string) => {
        const r = host.resolve(target);
        return r.kind === 'found' ? r.container.id : r.kind;
      };
      expect(find(up.id)).toBe(up.id);
      expect(find(up.name)).toBe(up.id);
      expect(find(`/${up.name}`)).toBe(up.id);
      expect(find(up.id.slice(0, 12))).toBe(up.id);
      expect(find('no-such-container')).toBe('not_found');
      expect(find('')).toBe('not_found');
    });

    it('refuses an id prefix that several containers share, and prefers an exact name', () => {
      const host = new ContainerHost('h', 60, new Random(9));
      const ids = host.list().containers.map((c) => c.id);
      const shared = '0123456789abcdef'
        .split('')
        .find((p) => ids.filter((id) => id.startsWith(p)).length > 1)!;
      expect(host.resolve(shared)).toEqual({ kind: 'ambiguous', matches: expect.any(Number) });
      expect(host.command(STOP, shared, T)).toEqual({ outcome: 'ambiguous', events: [] });
      expect(host.command(START, 'nope', T)).toEqual({ outcome: 'not_found', events: [] });
    });

    it('STOP on a running container: kill (SIGTERM), die, stop; then exited and out of the stats', () => {
      const { host, up } = fixture();
      const result = host.command(STOP, up.name, T);
      expect(result.outcome).toBe('applied');
      expect(result.container).toEqual({ id: up.id, name: up.name });
      expect(actions(result)).toEqual(['kill', 'die', 'stop']);
      for (const e of result.events) {
        expect(e).toMatchObject({ type: 'container', actorId: up.id, actorName: up.name });
        expect(e.attrs).toMatchObject({ name: up.name, image: up.image });
      }
      expect(result.events[0].attrs.signal).toBe('15');
      expect(result.events[1].attrs.exitCode).toBe('0');
      // nanoseconds, from the command's time on, one ms apart in Docker's order
      expect(result.events.map((e) => e.timestamp)).toEqual([
        `${T}000000`,
        `${T + 1}000000`,
        `${T + 2}000000`,
      ]);
      expect(stateOf(host, up.id)).toBe('exited');
      expect(host.list().containers.find((c) => c.id === up.id)!.status).toBe('Exited (0)');
      expect(host.stats().stats.map((s) => s.id)).not.toContain(up.id);
      expect(host.inspect().inspects.find((i) => i.id === up.id)!.state).toMatchObject({
        status: 'exited',
        running: false,
      });
    });

    it('STOP on a stopped container and START on a running one do nothing (Docker 304)', () => {
      const { host, up, stopped } = fixture();
      expect(host.command(STOP, stopped.id, T)).toEqual({
        outcome: 'not_modified',
        container: { id: stopped.id, name: stopped.name },
        events: [],
      });
      expect(host.command(START, up.id, T)).toMatchObject({ outcome: 'not_modified', events: [] });
      expect(stateOf(host, stopped.id)).toBe('exited');
      expect(stateOf(host, up.id)).toBe('running');
    });

    it('START on a stopped container: start; then running and in the stats', () => {
      const { host, stopped } = fixture();
      const result = host.command(START, stopped.id.slice(0, 10), T);
      expect(result.outcome).toBe('applied');
      expect(actions(result)).toEqual(['start']);
      expect(result.events[0].attrs).toMatchObject({ name: stopped.name, image: stopped.image });
      expect(stateOf(host, stopped.id)).toBe('running');
      expect(host.stats().stats.map((s) => s.id)).toContain(stopped.id);
    });

    it('RESTART: running → kill, die, start, restart; stopped → start, restart', () => {
      const { host, up, stopped } = fixture();
      const running = host.command(RESTART, up.id, T);
      expect(actions(running)).toEqual(['kill', 'die', 'start', 'restart']);
      expect(running.events[1].attrs.exitCode).toBe('0');
      expect(stateOf(host, up.id)).toBe('running');
      const fromStopped = host.command(RESTART, `/${stopped.name}`, T);
      expect(actions(fromStopped)).toEqual(['start', 'restart']);
      expect(stateOf(host, stopped.id)).toBe('running');
      // times keep increasing across commands of the same instant
      const times = [...running.events, ...fromStopped.events].map((e) => BigInt(e.timestamp));
      expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(times).size).toBe(times.length);
    });

    it('a container named like SIM_FAILING_CONTAINERS dies with exit code 1 right after every start', () => {
      const { host, stopped } = fixture();
      const failing = new ContainerHost('h', 10, new Random(3), [stopped.name]);
      failing.command(STOP, stopped.id, T - 1000);
      expect(host.failsToStart(stopped.name)).toBe(false);
      expect(failing.failsToStart(stopped.name)).toBe(true);
      const start = failing.command(START, stopped.name, T);
      expect(actions(start)).toEqual(['start', 'die']);
      expect(start.events[1].attrs.exitCode).toBe('1');
      expect(stateOf(failing, stopped.id)).toBe('exited');
      expect(failing.list().containers.find((c) => c.id === stopped.id)!.status).toBe('Exited (1)');
      expect(actions(failing.command(RESTART, stopped.id, T + 10))).toEqual(['start', 'restart', 'die']);
      expect(new ContainerHost('h', 1, new Random(1), ['crashloop']).failsToStart('api-crashloop-1')).toBe(
        true,
      );
    });

    it('ignores ACK and unknown command types', () => {
      const { host, up } = fixture();
      expect(host.command(agentpb.CommandType.ACK, up.id, T)).toEqual({ outcome: 'unsupported', events: [] });
      expect(host.command(agentpb.CommandType.UNRECOGNIZED, up.id, T).events).toEqual([]);
      expect(stateOf(host, up.id)).toBe('running');
    });
  });

  it('has incidents at the configured rate', () => {
    const host = new ContainerHost('h', 100, new Random(5));
    expect(host.incidents(0, 1)).toEqual([]);
    expect(host.incidents(1, 1).length).toBeGreaterThanOrEqual(100);
  });
});
