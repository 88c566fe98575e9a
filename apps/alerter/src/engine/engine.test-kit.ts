// Builders shared by the engine's specs (not used by production code).
import { compileCondition, parseRule } from '@app/alerting';
import type { AlertChange, EngineInput, EngineRule } from './engine.types';
import { PartitionEngine } from './partition.engine';

export const T0 = 1_700_000_000_000;
export const S = 1000;
export const M = 60_000;

/** A rule as written in YAML (snake_case, durations as strings), parsed and compiled. */
export function rule(written: Record<string, unknown>): EngineRule {
  const parsed = parseRule(written);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const definition = parsed.rule;
  if (definition.when.trim() === '') return { definition };
  const compiled = compileCondition(definition.source, definition.when);
  if (!compiled.ok) throw new Error(compiled.message);
  return { definition, condition: compiled.condition };
}

interface Where {
  tenantId?: string;
  agentId?: string;
  host?: string;
}

const place = (w: Where) => ({
  tenantId: w.tenantId ?? 't1',
  agentId: w.agentId ?? 'a1',
  host: w.host ?? 'h1',
});

export function event(
  eventTimeMs: number,
  action: string,
  opts: Where & { name?: string; id?: string; attrs?: Record<string, string>; receivedAtMs?: number } = {},
): EngineInput {
  return {
    kind: 'event',
    ...place(opts),
    receivedAtMs: opts.receivedAtMs ?? eventTimeMs,
    eventTimeMs,
    event: {
      type: 'container',
      action,
      actorId: opts.id ?? 'c0ffee',
      actorName: opts.name ?? 'web',
      attrs: opts.attrs ?? {},
    },
  };
}

export function stats(
  eventTimeMs: number,
  cpuPercent: number,
  opts: Where & { name?: string; id?: string; receivedAtMs?: number } = {},
): EngineInput {
  return {
    kind: 'stats',
    ...place(opts),
    receivedAtMs: opts.receivedAtMs ?? eventTimeMs,
    eventTimeMs,
    stats: {
      id: opts.id ?? 'c0ffee',
      name: opts.name ?? 'web',
      cpuPercent,
      memoryUsage: 100,
      memoryLimit: 1000,
      memoryPercent: 10,
      networkRx: 1,
      networkTx: 2,
    },
  };
}

export function list(
  receivedAtMs: number,
  containers: { id: string; name: string; state?: string }[],
  opts: Where = {},
): EngineInput {
  return {
    kind: 'list',
    ...place(opts),
    receivedAtMs,
    containers: containers.map((c) => ({
      id: c.id,
      name: c.name,
      image: 'nginx',
      state: c.state ?? 'running',
    })),
  };
}

export function agent(
  receivedAtMs: number,
  what: Extract<EngineInput, { kind: 'agent' }>['what'],
  opts: Where & { agentName?: string } = {},
): EngineInput {
  const { tenantId, agentId } = place(opts);
  return { kind: 'agent', tenantId, agentId, agentName: opts.agentName, receivedAtMs, what };
}

/** An engine with recording hooks and a mutable rule list. */
export function harness(rules: EngineRule[], maxLatenessMs = 30 * S, maxSeries?: number) {
  const errors: [string, string][] = [];
  const late: EngineInput[] = [];
  const capped: string[] = [];
  const state = { rules };
  const engine = new PartitionEngine(
    () => state.rules,
    { maxLatenessMs, maxSeries },
    {
      ruleError: (name, error) => errors.push([name, error]),
      late: (input) => late.push(input),
      seriesCapped: (name) => capped.push(name),
    },
  );
  const feed = (...inputs: EngineInput[]): AlertChange[] => inputs.flatMap((i) => engine.ingest(i));
  return { engine, errors, late, capped, state, feed };
}

/** [state, atMs] pairs, the shape most assertions care about. */
export const brief = (changes: AlertChange[]) => changes.map((c) => [c.state, c.atMs - T0]);
