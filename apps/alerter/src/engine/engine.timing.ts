// Local timing of the engine's hot path, not a test: 100 stats rules × 200,000 stats inputs
// (1,000 containers on 50 hosts, one sample each per 10 s, every 7th input 3 s out of order).
// Run: node -r ./test/support/ts-worker-register.js apps/alerter/src/engine/engine.timing.ts
import { compileCondition, parseRule } from '@app/alerting';
import type { EngineInput, EngineRule } from './engine.types';
import { PartitionEngine } from './partition.engine';

const RULES = 100;
const INPUTS = Number(process.env.INPUTS ?? 200_000);
const CONTAINERS = 1_000;

function rules(): EngineRule[] {
  const out: EngineRule[] = [];
  for (let i = 0; i < RULES; i += 1) {
    const parsed = parseRule({
      name: `cpu-${i}`,
      source: 'stats',
      when:
        i % 2 === 0 ? `stats.cpu_percent > ${50 + (i % 50)}.0` : `stats.memory_percent > ${40 + (i % 60)}.0`,
      for: '1m',
      keep_firing_for: '30s',
      annotations: { summary: '{{ .container }} on {{ .host }} at {{ $value }}' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const compiled = compileCondition('stats', parsed.rule.when);
    if (!compiled.ok) throw new Error(compiled.message);
    out.push({ definition: parsed.rule, condition: compiled.condition });
  }
  return out;
}

function inputs(): EngineInput[] {
  const t0 = 1_700_000_000_000;
  const out: EngineInput[] = [];
  for (let i = 0; i < INPUTS; i += 1) {
    const c = i % CONTAINERS;
    const round = Math.floor(i / CONTAINERS);
    const t = t0 + round * 10_000 + (i % 7 === 0 ? -3_000 : 0);
    // 2 % of the containers swing across the thresholds (period ~30 samples); the rest idle.
    const hot = c % 50 === 0;
    const wave = hot ? 50 + 45 * Math.sin((round + c) / 5) : 15 + 10 * Math.sin((round + c) / 5);
    out.push({
      kind: 'stats',
      tenantId: 't1',
      agentId: `a${c % 50}`,
      host: `h${c % 50}`,
      receivedAtMs: t + 200,
      eventTimeMs: t,
      stats: {
        id: `id${c}`,
        name: `c${c}`,
        cpuPercent: wave,
        memoryUsage: 1e8,
        memoryLimit: 1e9,
        memoryPercent: hot ? 100 - wave : 20,
        networkRx: 1,
        networkTx: 2,
      },
    });
  }
  return out;
}

function main(): void {
  const all = rules();
  const data = inputs();
  let errors = 0;
  let late = 0;
  const engine = new PartitionEngine(
    () => all,
    { maxLatenessMs: 30_000 },
    { ruleError: () => (errors += 1), late: () => (late += 1) },
  );
  let changes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < data.length; i += 1) {
    changes += engine.ingest(data[i]).length;
    if (i % CONTAINERS === CONTAINERS - 1) changes += engine.tick(data[i].receivedAtMs).length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = Math.round(data.length / seconds);
  const evaluations = Math.round((data.length * RULES) / seconds);
  console.log(
    `${data.length} inputs × ${RULES} rules in ${seconds.toFixed(2)} s: ${perSecond} inputs/s, ` +
      `${evaluations} rule evaluations/s; ${changes} changes, ${engine.alerts().length} live, ` +
      `${engine.trackedSeries()} series, ${errors} errors, ${late} late, ` +
      `heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB`,
  );
}

main();
