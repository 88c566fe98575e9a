import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One app of the soak as a child process that can be SIGKILLed and started again. */
export class SoakProcess {
  private child: ChildProcess | undefined;
  restarts = 0;
  /** Unexpected exits: the app died without being killed by the soak. */
  readonly crashes: string[] = [];
  private readonly lineHandlers: ((line: string) => void)[] = [];

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  start(): void {
    const child = spawn(process.execPath, [this.entry], {
      env: { ...process.env, LOG_FORMAT: 'json', ...this.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.lineHandlers.forEach((h) => h(line)));
    child.on('exit', (code, signal) => {
      if (this.child === child && signal !== 'SIGKILL' && signal !== 'SIGTERM') {
        this.crashes.push(`${this.name} exited on its own (code ${code}, signal ${signal})`);
      }
    });
  }

  onLine(handler: (line: string) => void): void {
    this.lineHandlers.push(handler);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    this.restarts++;
    this.start();
  }

  /** SIGTERM and wait: the app drains, flushes and commits. */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

export async function waitHttpOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
