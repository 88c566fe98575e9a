import type { AppLogger, Metrics } from '@app/observability';
import { SimulatedAgent } from './agent/simulated-agent';
import type { SimConfig } from './sim.config';

/** Starts one simulated agent per configured key, staggered so they do not all tick at once. */
export class Fleet {
  private readonly agents: SimulatedAgent[] = [];
  private stopped = false;

  constructor(
    private readonly config: SimConfig,
    private readonly logger: AppLogger,
    private readonly metrics: Metrics,
  ) {}

  async start(): Promise<void> {
    const sent = this.metrics.counter({
      name: 'sim_messages_sent_total',
      help: 'AgentMessages sent',
      labelNames: ['type'] as const,
    });
    const acked = this.metrics.counter({
      name: 'sim_messages_acked_total',
      help: 'AgentMessages ACKed by the gateway',
    });
    const reconnects = this.metrics.counter({ name: 'sim_reconnects_total', help: 'DataStreams reopened' });
    const commands = this.metrics.counter({
      name: 'sim_commands_total',
      help: 'Commands received',
      labelNames: ['type'] as const,
    });
    this.metrics.gauge({
      name: 'sim_messages_dropped',
      help: 'Messages given up unacknowledged because an outbox overflowed',
      value: () => this.agents.reduce((n, a) => n + a.dropped, 0),
    });
    const c = this.config;
    const spread = Math.min(c.SIM_STATS_INTERVAL_MS, 5000) / Math.max(1, c.SIM_AGENT_KEYS.length);
    for (const [index, agentKey] of c.SIM_AGENT_KEYS.entries()) {
      if (this.stopped) return;
      const agent = new SimulatedAgent(
        {
          gatewayAddress: c.SIM_GATEWAY_ADDR,
          agentKey,
          agentName: `sim-agent-${index}`,
          hosts: c.SIM_HOSTS_PER_AGENT,
          containersPerHost: c.SIM_CONTAINERS_PER_HOST,
          statsIntervalMs: c.SIM_STATS_INTERVAL_MS,
          inventoryIntervalMs: c.SIM_INVENTORY_INTERVAL_MS,
          heartbeatIntervalMs: c.SIM_HEARTBEAT_INTERVAL_MS,
          incidentProbability: c.SIM_INCIDENT_PROBABILITY,
          failingContainers: c.SIM_FAILING_CONTAINERS,
          seed: c.SIM_SEED + index,
          tls: c.SIM_TLS === 'true',
        },
        {
          sent: (type) => sent.inc({ type }),
          acked: (n) => acked.inc(n),
          reconnect: () => reconnects.inc(),
          command: (type) => commands.inc({ type }),
        },
        this.logger,
      );
      await this.startWithRetry(agent);
      this.agents.push(agent);
      await new Promise((r) => setTimeout(r, spread));
    }
    this.logger.info({ agents: this.agents.length }, 'simulated fleet running');
  }

  /** Stops every agent, each waiting up to `drainMs` for its unacknowledged messages to be ACKed. */
  async stop(drainMs: number): Promise<void> {
    this.stopped = true;
    const unacked = await Promise.all(this.agents.map((a) => a.stop(drainMs)));
    this.logger.info(
      {
        unacknowledged: unacked.reduce((n, u) => n + u, 0),
        dropped: this.agents.reduce((n, a) => n + a.dropped, 0),
      },
      'simulated fleet stopped',
    );
  }

  get size(): number {
    return this.agents.length;
  }

  private async startWithRetry(agent: SimulatedAgent): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        return await agent.start();
      } catch (error) {
        this.logger.warn({ attempt, err: (error as Error).message }, 'register failed, retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  }
}
