import { agentpb } from '@app/contracts';
import { ContainerHost } from './container-host';
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

  it('obeys stop and start, emitting Docker-like events in nanoseconds', () => {
    const host = new ContainerHost('h', 3, new Random(3));
    const running = host.list().containers.find((c) => c.state === 'running')!;
    const stopped = host.command(agentpb.CommandType.STOP_CONTAINER, running.id, 1764000000000);
    expect(stopped.map((e) => e.action)).toEqual(['kill', 'stop', 'die']);
    expect(stopped[0].timestamp).toBe('1764000000000000000');
    expect(host.list().containers.find((c) => c.id === running.id)!.state).toBe('exited');
    expect(host.command(agentpb.CommandType.STOP_CONTAINER, running.id, 1)).toEqual([]);
    expect(host.command(agentpb.CommandType.START_CONTAINER, running.name, 2).map((e) => e.action)).toEqual([
      'start',
    ]);
    expect(host.command(agentpb.CommandType.RESTART_CONTAINER, 'no-such-container', 3)).toEqual([]);
  });

  it('has incidents at the configured rate', () => {
    const host = new ContainerHost('h', 100, new Random(5));
    expect(host.incidents(0, 1)).toEqual([]);
    expect(host.incidents(1, 1).length).toBeGreaterThanOrEqual(100);
  });
});
