/** A component's answer to "can this app do its work right now?"; `detail` explains a `false`. */
export interface ReadinessResult {
  ready: boolean;
  detail?: string;
}

export type ReadinessCheck = () => ReadinessResult | Promise<ReadinessResult>;

/** Components register readiness checks; liveness only says the process answers. */
export class Health {
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  register(component: string, check: ReadinessCheck): void {
    this.checks.set(component, check);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async readiness(): Promise<{ ready: boolean; components: Record<string, ReadinessResult> }> {
    const components: Record<string, ReadinessResult> = {};
    for (const [name, check] of this.checks) {
      try {
        components[name] = await check();
      } catch (error) {
        components[name] = { ready: false, detail: (error as Error).message };
      }
    }
    if (this.shuttingDown) components.shutdown = { ready: false, detail: 'shutting down' };
    return { ready: Object.values(components).every((c) => c.ready), components };
  }
}
