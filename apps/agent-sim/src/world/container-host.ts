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

/**
 * One Docker host's containers, evolving over time: CPU and memory wander, network counters only
 * grow, and containers occasionally die, restart or get stopped, producing Docker-like events.
 */
export class ContainerHost {
  private readonly containers: SimContainer[] = [];

  constructor(
    readonly name: string,
    count: number,
    private readonly random: Random,
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
        events.push(...this.transition(c, 'die', nowMs));
        if (this.random.next() < 0.7) events.push(...this.transition(c, 'restart', nowMs));
      } else {
        events.push(...this.transition(c, 'start', nowMs));
      }
    }
    return events;
  }

  /** Applies a command from the server; returns the events Docker would emit, or none if unknown. */
  command(command: agentpb.CommandType, containerId: string, nowMs: number): ContainerEvent[] {
    const c = this.containers.find(
      (x) => x.id === containerId || x.id.startsWith(containerId) || x.name === containerId,
    );
    if (!c) return [];
    switch (command) {
      case agentpb.CommandType.START_CONTAINER:
        return c.state === 'running' ? [] : this.transition(c, 'start', nowMs);
      case agentpb.CommandType.STOP_CONTAINER:
        return c.state === 'running' ? this.transition(c, 'stop', nowMs) : [];
      case agentpb.CommandType.RESTART_CONTAINER:
        return this.transition(c, 'restart', nowMs);
      case agentpb.CommandType.ACK:
      case agentpb.CommandType.UNRECOGNIZED:
        return [];
    }
  }

  private transition(
    c: SimContainer,
    action: 'start' | 'stop' | 'die' | 'restart',
    nowMs: number,
  ): ContainerEvent[] {
    const at = new Date(nowMs).toISOString();
    if (action === 'die' || action === 'stop') {
      c.state = 'exited';
      c.exitCode = action === 'stop' ? 0 : this.random.pick([1, 137, 139, 2]);
      c.finishedAt = at;
      return action === 'stop'
        ? [this.event(c, 'kill', nowMs), this.event(c, 'stop', nowMs), this.event(c, 'die', nowMs)]
        : [this.event(c, 'die', nowMs)];
    }
    c.state = 'running';
    c.startedAt = at;
    if (action === 'restart') c.restartCount++;
    return action === 'restart'
      ? [this.event(c, 'restart', nowMs), this.event(c, 'start', nowMs)]
      : [this.event(c, 'start', nowMs)];
  }

  private event(c: SimContainer, action: string, nowMs: number): ContainerEvent {
    return {
      type: 'container',
      action,
      actorId: c.id,
      actorName: c.name,
      // Docker reports event times in nanoseconds (timeNano); the gateway normalizes.
      timestamp: `${nowMs}000000`,
      attrs: {
        image: c.image,
        name: c.name,
        exitCode: String(c.exitCode),
        'com.docker.compose.project': 'demo',
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
