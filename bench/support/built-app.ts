import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './bench-kafka';

export interface BenchApp {
  name: string;
  child: ChildProcess;
  /** Where its output goes: <logDir>/<name>.log */
  log: string;
  stop(): Promise<void>;
}

export interface BuiltAppOptions {
  /** Where the app's output goes (and, with `cwdInLogDir`, where it runs). */
  logDir: string;
  /** Node flags before the entry (say `--cpu-prof`). */
  nodeArgs?: string[];
  cwdInLogDir?: boolean;
}

/**
 * Starts an app from the built output in its own process, as `npm run start:<app>` does; stop()
 * sends SIGTERM, then SIGKILL after 15 s.
 */
export function startBuiltApp(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: BuiltAppOptions,
): BenchApp {
  mkdirSync(options.logDir, { recursive: true });
  const log = join(options.logDir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(REPO_ROOT, 'dist', entry)], {
    cwd: options.cwdInLogDir ? options.logDir : undefined,
    env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    name,
    child,
    log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200; fails early when the app exits. */
export async function waitReady(app: BenchApp, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null)
      throw new Error(`${app.name} exited (${app.child.exitCode}); see ${app.log}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${app.name}: ${url} not ready after ${timeoutMs} ms; see ${app.log}`);
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}
