import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ClientSettings, FromClient, ToClient } from './bench-common';

type Of<T extends FromClient['type']> = Extract<FromClient, { type: T }>;

/** One forked load-client process and the messages it reports. */
export class ClientProcess {
  private readonly child: ChildProcess;
  private readonly inbox: FromClient[] = [];
  private waiter: (() => void) | undefined;
  private exited: string | undefined;

  constructor(settings: ClientSettings) {
    this.child = fork(join(__dirname, 'load-client.js'), [JSON.stringify(settings)], { stdio: 'inherit' });
    this.child.on('message', (m: FromClient) => {
      this.inbox.push(m);
      this.waiter?.();
    });
    // 'close', not 'exit': 'exit' can come before the last messages the child sent have been read.
    this.child.on('close', (code, signal) => {
      this.exited = `load client ${this.child.pid} exited (${signal ?? `code ${code}`})`;
      this.waiter?.();
    });
  }

  command(type: ToClient['type']): void {
    if (!this.exited) this.child.send({ type });
  }

  async next<T extends FromClient['type']>(type: T, timeoutMs: number): Promise<Of<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type);
      if (index >= 0) return this.inbox.splice(index, 1)[0] as Of<T>;
      if (this.exited) throw new Error(`${this.exited} before reporting '${type}'`);
      if (Date.now() > deadline)
        throw new Error(`load client ${this.child.pid}: no '${type}' within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Splits `agents` agents starting at `first` over `processes` load clients. */
export function spread(
  first: number,
  agents: number,
  processes: number,
): { firstAgent: number; agents: number }[] {
  const per = Math.ceil(agents / processes);
  return Array.from({ length: processes }, (_, p) => ({
    firstAgent: first + p * per,
    agents: Math.max(0, Math.min(per, agents - p * per)),
  })).filter((r) => r.agents > 0);
}

/** Sums the samples of a Prometheus metric whose label text contains `labels`. */
export function metricSum(exposition: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match && match[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
  }
  return sum;
}
