/**
 * The idle scenario holds one TCP connection per stream in the gateway (this process): 50,000
 * streams need more file descriptors than a default `ulimit -n`. Node has no setrlimit, so the
 * limit is raised with util-linux `prlimit` on this process (root or CAP_SYS_RESOURCE needed to
 * raise the hard limit); the load clients forked afterwards inherit it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface FdLimit {
  soft: number;
  hard: number;
}

/** RLIMIT_NOFILE of this process, from /proc/self/limits (Linux); undefined elsewhere. */
export function openFileLimit(): FdLimit | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').trim().split(/\s+/).slice(3, 5).map(toLimit);
    return soft !== undefined && hard !== undefined ? { soft, hard } : undefined;
  } catch {
    return undefined;
  }
}

const toLimit = (text: string): number | undefined =>
  text === 'unlimited' ? Infinity : Number.isInteger(Number(text)) ? Number(text) : undefined;

/** Makes sure this process may open `needed` files: ok, or why it cannot and what to do instead. */
export function ensureOpenFileLimit(
  needed: number,
): { ok: true; note: string } | { ok: false; reason: string } {
  const before = openFileLimit();
  if (!before)
    return { ok: false, reason: 'cannot read /proc/self/limits (not Linux?) to check `ulimit -n`' };
  if (before.soft >= needed) return { ok: true, note: `open-file limit ${before.soft} (need ${needed})` };
  const target = Math.max(needed, Math.min(before.hard, 1_048_576));
  try {
    execFileSync('prlimit', [`--pid=${process.pid}`, `--nofile=${target}:${Math.max(target, before.hard)}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const detail = ((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim();
    return {
      ok: false,
      reason:
        `this process may open ${before.soft} files (ulimit -n; hard limit ${before.hard}) and the gateway needs ` +
        `${needed} for this many idle streams; raising the limit with prlimit failed (${detail}). Raising a hard ` +
        `limit takes root with CAP_SYS_RESOURCE (containers and sandboxes often drop it): raise it before the bench ` +
        `(\`ulimit -n ${needed}\`, LimitNOFILE=, docker --ulimit nofile=${needed}), or lower BENCH_IDLE_STREAMS`,
    };
  }
  const after = openFileLimit();
  if (!after || after.soft < needed) {
    return {
      ok: false,
      reason: `prlimit ran but the open-file limit is still ${after?.soft ?? 'unknown'} (need ${needed})`,
    };
  }
  return {
    ok: true,
    note: `open-file limit raised from ${before.soft} to ${after.soft} with prlimit (need ${needed})`,
  };
}
