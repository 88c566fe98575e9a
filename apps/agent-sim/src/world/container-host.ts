import { agentpb } from '@app/contracts';
import { Random } from './random';

type State = 'running' | 'exited' | 'restarting' | 'paused';

interface SimContainer {
  id: string;
  name: string;
  image: string;
  state: State;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  cpu: number;
  memoryUsage: number;
  memoryLimit: number;
  rx: number;
  tx: number;
  ip: string;
  port: number;
  restartCount: number;
}

const IMAGES = [
  'nginx:1.27',
  'postgres:16',
  'redis:7.4',
  'node:20-alpine',
  'grafana/grafana:11',
  'busybox:1.36',
];
const APPS = ['web', 'api', 'db', 'cache', 'worker', 'metrics', 'proxy', 'cron'];
const GiB = 1024 ** 3;

export type ContainerEvent = agentpb.ContainerEventData;

export type Resolution =
  { kind: 'found'; container: SimContainer } | { kind: 'not_found' } | { kind: 'ambiguous'; matches: number };

export interface CommandResult {
  /**
   * applied: the state changed and `events` say how; not_modified: already in that state (Docker's
   * 304), no events; not_found / ambiguous: the target names no single container; unsupported:
   * not a container command.
   */
  outcome: 'applied' | 'not_modified' | 'not_found' | 'ambiguous' | 'unsupported';
  container?: { id: string; name: string };
  events: ContainerEvent[];
}

/**
 * One Docker host's containers, evolving over time: CPU and memory wander, network counters only
 * grow, and containers occasionally die, restart or get stopped, producing Docker-like events.
 */
export class ContainerHost {
  private readonly containers: SimContainer[] = [];
  private lastEventMs = 0;

  constructor(
    readonly name: string,
    count: number,
    private readonly random: Random,
    /** Name parts of containers that fail every start (see `command`). */
    private readonly failingNames: readonly string[] = [],
  ) {
    for (let i = 0; i < count; i++) this.containers.push(this.create(i));
  }

  list(): agentpb.ContainerListData {
    return {
      containers: this.containers.map((c) => ({
        id: c.id,
        name: c.name,
        image: c.image,
        state: c.state,
        status: c.state === 'running' ? `Up ${this.random.int(1, 59)} minutes` : `Exited (${c.exitCode})`,
      })),
    };
  }

  inspect(): agentpb.ContainerInspectData {
    return { inspects: this.containers.map((c) => this.inspectOf(c)) };
  }

  /** Advances the world one tick and returns the stats sample of the running containers. */
  stats(): agentpb.ContainerStatsData {
    const running = this.containers.filter((c) => c.state === 'running');
    for (const c of running) {
      c.cpu = clamp(c.cpu + (this.random.next() - 0.5) * 10, 0, 400);
      c.memoryUsage = clamp(c.memoryUsage + (this.random.next() - 0.48) * 20e6, 10e6, c.memoryLimit);
      c.rx += this.random.int(0, 2_000_000);
      c.tx += this.random.int(0, 1_000_000);
    }
    return {
      stats: running.map((c) => ({
        id: c.id,
        name: c.name,
        cpuPercent: round2(c.cpu),
        memoryUsage: String(Math.round(c.memoryUsage)),
        memoryLimit: String(c.memoryLimit),
        memoryPercent: round2((c.memoryUsage / c.memoryLimit) * 100),
        networkRx: String(c.rx),
        networkTx: String(c.tx),
      })),
    };
  }

  /** Random incidents: a running container dies (and often restarts), a stopped one is started. */
  incidents(probability: number, nowMs: number): ContainerEvent[] {
    const events: ContainerEvent[] = [];
    for (const c of this.containers) {
      if (this.random.next() >= probability) continue;
      if (c.state === 'running') {
        events.push(this.die(c, this.random.pick([1, 137, 139, 2]), nowMs));
        if (this.random.next() < 0.7) events.push(...this.startEvents(c, nowMs, 'restart'));
      } else {
        events.push(...this.startEvents(c, nowMs));
      }
    }
    return events;
  }

  /**
   * Finds a container the way the Docker API does: an exact id, then an exact name (with or
   * without the leading "/"), then a unique id prefix. Several containers with the prefix → ambiguous.
   */
  resolve(target: string): Resolution {
    const wanted = target.trim();
    if (!wanted) return { kind: 'not_found' };
    const byId = this.containers.find((c) => c.id === wanted);
    if (byId) return { kind: 'found', container: byId };
    const name = wanted.replace(/^\//, '');
    const byName = this.containers.find((c) => c.name === name);
    if (byName) return { kind: 'found', container: byName };
    const byPrefix = this.containers.filter((c) => c.id.startsWith(wanted));
    if (byPrefix.length === 1) return { kind: 'found', container: byPrefix[0] };
    return byPrefix.length > 1 ? { kind: 'ambiguous', matches: byPrefix.length } : { kind: 'not_found' };
  }

  /**
   * Applies a command from the server like the Docker daemon would, and returns the events it
   * emits (times from `nowMs` on, one ms apart, so they sort in the order Docker emits them):
   * - STOP on a running container: `kill` (signal 15), `die` (exitCode 0), `stop`; on a stopped
   *   one nothing (Docker answers 304 Not Modified).
   * - START on a stopped container: `start`; on a running one nothing (304).
   * - RESTART: running → `kill`, `die`, `start`, `restart`; stopped → `start`, `restart`.
   * A container whose name contains one of `failingNames` (SIM_FAILING_CONTAINERS, default
   * "crashloop") cannot start: every start is followed at once by `die` with exitCode 1, and the
   * container stays exited. That makes a failed START deterministic for tests and demos.
   */
  command(command: agentpb.CommandType, target: string, nowMs: number): CommandResult {
    if (
      command !== agentpb.CommandType.START_CONTAINER &&
      command !== agentpb.CommandType.STOP_CONTAINER &&
      command !== agentpb.CommandType.RESTART_CONTAINER
    ) {
      return { outcome: 'unsupported', events: [] };
    }
    const found = this.resolve(target);
    if (found.kind !== 'found') return { outcome: found.kind, events: [] };
    const c = found.container;
    const container = { id: c.id, name: c.name };
    const running = c.state === 'running';
    let events: ContainerEvent[];
    switch (command) {
      case agentpb.CommandType.START_CONTAINER:
        events = running ? [] : this.startEvents(c, nowMs);
        break;
      case agentpb.CommandType.STOP_CONTAINER:
        events = running ? this.stopEvents(c, nowMs, 'stop') : [];
        break;
      case agentpb.CommandType.RESTART_CONTAINER:
        events = [...(running ? this.stopEvents(c, nowMs) : []), ...this.startEvents(c, nowMs, 'restart')];
        break;
    }
    return { outcome: events.length > 0 ? 'applied' : 'not_modified', container, events };
  }

  /** Whether a container of this name fails every start (see `command`). */
  failsToStart(name: string): boolean {
    return this.failingNames.some((part) => part !== '' && name.includes(part));
  }

  /** `kill` (SIGTERM), `die`, and `stop` when it was a docker stop (a restart emits no `stop`). */
  private stopEvents(c: SimContainer, nowMs: number, then?: 'stop'): ContainerEvent[] {
    const events = [this.event(c, 'kill', nowMs, { signal: '15' }), this.die(c, 0, nowMs)];
    if (then) events.push(this.event(c, then, nowMs));
    return events;
  }

  /** `start` (and `restart` for a restart); a failing container dies right after. */
  private startEvents(c: SimContainer, nowMs: number, then?: 'restart'): ContainerEvent[] {
    c.state = 'running';
    c.startedAt = new Date(nowMs).toISOString();
    c.exitCode = 0;
    const events = [this.event(c, 'start', nowMs)];
    if (then) {
      c.restartCount++;
      events.push(this.event(c, then, nowMs));
    }
    if (this.failsToStart(c.name)) events.push(this.die(c, 1, nowMs));
    return events;
  }

  private die(c: SimContainer, exitCode: number, nowMs: number): ContainerEvent {
    c.state = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = new Date(nowMs).toISOString();
    return this.event(c, 'die', nowMs, { exitCode: String(exitCode) });
  }

  private event(
    c: SimContainer,
    action: string,
    nowMs: number,
    extra: Record<string, string> = {},
  ): ContainerEvent {
    // Strictly increasing per host, so that events of one command keep their order in time.
    this.lastEventMs = Math.max(nowMs, this.lastEventMs + 1);
    return {
      type: 'container',
      action,
      actorId: c.id,
      actorName: c.name,
      // Docker reports event times in nanoseconds (timeNano); the gateway normalizes.
      timestamp: `${this.lastEventMs}000000`,
      attrs: {
        image: c.image,
        name: c.name,
        'com.docker.compose.project': 'demo',
        ...extra,
      },
    };
  }

  private create(index: number): SimContainer {
    const app = APPS[index % APPS.length];
    const now = new Date().toISOString();
    return {
      id: this.random.hex(64),
      name: `${app}-${index}`,
      image: this.random.pick(IMAGES),
      state: this.random.next() < 0.9 ? 'running' : 'exited',
      createdAt: now,
      startedAt: now,
      finishedAt: '0001-01-01T00:00:00Z',
      exitCode: 0,
      cpu: this.random.next() * 30,
      memoryUsage: this.random.int(50, 900) * 1e6,
      memoryLimit: this.random.pick([1, 2, 4]) * GiB,
      rx: this.random.int(0, 1e9),
      tx: this.random.int(0, 1e9),
      ip: `172.18.0.${index + 2}`,
      port: 8000 + index,
      restartCount: 0,
    };
  }

  private inspectOf(c: SimContainer): agentpb.ContainerInspect {
    return {
      id: c.id,
      name: `/${c.name}`,
      image: c.image,
      created: c.createdAt,
      platform: 'linux',
      state: {
        status: c.state,
        running: c.state === 'running',
        paused: c.state === 'paused',
        restarting: c.state === 'restarting',
        exitCode: c.exitCode,
        startedAt: c.startedAt,
        finishedAt: c.finishedAt,
      },
      config: {
        hostname: c.id.slice(0, 12),
        user: '',
        env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin', `APP=${c.name}`],
        cmd: ['/entrypoint.sh'],
        entrypoint: [],
        workingDir: '/app',
        labels: { 'com.docker.compose.project': 'demo', 'com.docker.compose.service': c.name },
      },
      network: {
        ipAddress: c.ip,
        gateway: '172.18.0.1',
        macAddress: '02:42:ac:12:00:02',
        ports: { [`${c.port}/tcp`]: { bindings: [{ hostIp: '0.0.0.0', hostPort: String(c.port) }] } },
        networks: {
          demo_default: {
            networkId: this.random.hex(64),
            ipAddress: c.ip,
            gateway: '172.18.0.1',
            macAddress: '02:42:ac:12:00:02',
          },
        },
      },
      mounts: [
        {
          type: 'volume',
          name: `${c.name}-data`,
          source: `/var/lib/docker/volumes/${c.name}-data/_data`,
          destination: '/data',
          mode: 'z',
          rw: true,
        },
      ],
    };
  }
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
