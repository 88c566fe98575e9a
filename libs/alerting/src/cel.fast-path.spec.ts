import { activationForStats } from './cel.activation';
import { compileCondition } from './cel.condition';
import { fastComparison } from './cel.fast-path';

const FIELDS = ['cpu_percent', 'memory_percent', 'memory_usage', 'memory_limit', 'network_rx', 'network_tx'];
const OPS = ['>', '>=', '<', '<='];
const LITERALS = ['0', '1', '90', '90.0', '90.5', '1000', '4096', '0.25', '123456789012345'];
const VALUES = [0, 0.25, 1, 89.999, 90, 90.5, 91, 1000, 4095, 4096, 4097, 123456789012345, Number.NaN, -1];

function activation(v: number) {
  const int = Number.isFinite(v) ? BigInt(Math.max(0, Math.trunc(v))) : 0n;
  return activationForStats({
    host: 'h',
    agentId: 'a',
    tenant: 't',
    container: { id: 'c', name: 'web' },
    stats: {
      cpuPercent: v,
      memoryPercent: v,
      memoryUsage: int,
      memoryLimit: int,
      networkRx: int,
      networkTx: int,
    },
  });
}

describe('CEL fast path for `stats.<field> <op> <number>`', () => {
  it('gives exactly what the CEL program gives, for every field, operator, literal and value', () => {
    let compared = 0;
    for (const field of FIELDS) {
      for (const op of OPS) {
        for (const literal of LITERALS) {
          const text = `stats.${field} ${op} ${literal}`;
          const compiled = compileCondition('stats', text);
          if (!compiled.ok) throw new Error(compiled.message);
          const viaCel = compileCondition('stats', `(${text})`); // parenthesized: not the fast path's shape
          if (!viaCel.ok) throw new Error(viaCel.message);
          for (const v of VALUES) {
            const a = activation(v);
            expect([text, v, compiled.condition.evaluate(a)]).toEqual([
              text,
              v,
              viaCel.condition.evaluate(a),
            ]);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(FIELDS.length * OPS.length * LITERALS.length * VALUES.length);
  });

  it('is taken only for that shape', () => {
    const never = () => ({ ok: true as const, value: false });
    expect(fastComparison('stats.cpu_percent > 90', never)).toBeDefined();
    expect(fastComparison('stats.cpu_percent > 90 && stats.memory_percent > 1', never)).toBeUndefined();
    expect(fastComparison('stats.cpu_percent == 90', never)).toBeUndefined();
    expect(fastComparison('event.action > 1', never)).toBeUndefined();
  });

  it('hands anything but a number to the CEL program', () => {
    const fallback = jest.fn(() => ({ ok: false as const, error: 'from CEL' }));
    const fast = fastComparison('stats.cpu_percent > 90', fallback)!;
    expect(fast({ 'stats.cpu_percent': 'ninety' })).toEqual({ ok: false, error: 'from CEL' });
    expect(fallback).toHaveBeenCalledTimes(1);
  });

  it('guards conjunctions: same result as the CEL program, errors in other conjuncts included', () => {
    const texts = [
      'stats.cpu_percent > 90 && container.name.startsWith("we")',
      'container.name.startsWith("db") && stats.memory_percent >= 90.5',
      'stats.cpu_percent > 70.5 && stats.memory_usage < 4096 && container.id == "c"',
      'stats.cpu_percent > 90 && stats.memory_usage / 0 > 1', // the second conjunct is an error
      'stats.cpu_percent > 90 && (stats.memory_percent > 1 || stats.network_rx > 5)',
    ];
    let compared = 0;
    for (const text of texts) {
      const guarded = compileCondition('stats', text);
      const plain = compileCondition('stats', `(${text}) || false`); // no guard: the program decides
      if (!guarded.ok || !plain.ok) throw new Error(`${text}: does not compile`);
      for (const v of VALUES) {
        const a = activation(v);
        expect([text, v, guarded.condition.evaluate(a)]).toEqual([text, v, plain.condition.evaluate(a)]);
        compared++;
      }
    }
    expect(compared).toBe(texts.length * VALUES.length);
  });
});
