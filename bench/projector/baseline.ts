import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaselineResult, BaselineSettings } from './baseline-insert';

/** Runs baseline-insert.js in a child process with a fresh chDB folder, deleted afterwards. */
export async function runBaseline(s: Omit<BaselineSettings, 'path'>): Promise<BaselineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'projector-baseline-'));
  try {
    const settings: BaselineSettings = { ...s, path: join(dir, 'data') };
    const child = fork(join(__dirname, 'baseline-insert.js'), [JSON.stringify(settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: BaselineResult | undefined;
    child.on('message', (m: BaselineResult) => (result = m));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const code = await new Promise<number | string>((resolve) =>
      child.on('exit', (c, signal) => resolve(signal ?? c ?? 0)),
    );
    clearTimeout(timer);
    if (!result) throw new Error(`baseline insert process exited (${code}) without a result`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
