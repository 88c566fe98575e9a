import { Metadata, status } from '@grpc/grpc-js';
import type { AppLogger } from '@app/observability';
import { Metrics } from '@app/observability';
import { AgentKeyHasher, FailureThrottle, SecretHasher } from '@app/security';
import { AUTH_FAILED_DETAILS, AuthGate, AuthGateSettings, Refusal } from './auth.gate';
import { StaticKeyRegistry } from './static-key-registry';

const GOOD = 'ak_goodgoodgoodgoodgoodgoodgood01';
const OTHER = 'ak_otherotherotherotherother02';
const REVOKED = 'ak_revokedrevokedrevokedrevoked03';
const ATTACKER = '203.0.113.9:40000';
const AGENT = '198.51.100.7:50000';
const METHOD = '/containeragent.AgentService/Register';

function bearer(value?: string): Metadata {
  const md = new Metadata();
  if (value !== undefined) md.set('authorization', value);
  return md;
}

function setup(settings: Partial<AuthGateSettings> = {}, burst = 3) {
  const registry = StaticKeyRegistry.fromConfig(
    `${GOOD},${OTHER},!${REVOKED}`,
    undefined,
    new AgentKeyHasher(new SecretHasher('k'.repeat(32))),
  );
  const warn = jest.fn();
  const metrics = new Metrics('gateway-test', false);
  const gate = new AuthGate(
    registry,
    new FailureThrottle({ burst, refillPerSecond: 1, maxTracked: 100 }),
    { warn } as unknown as AppLogger,
    metrics,
    { throttledDelayMs: 1000, maxDelayedAnswers: 10, logMaxLines: 100, logIntervalMs: 10_000, ...settings },
  );
  const refusals: Refusal[] = [];
  const admit = (peer: string, metadata: Metadata) =>
    gate.admit({ peer, method: METHOD }, metadata, (r) => refusals.push(r));
  const counter = async (name: string, labels: Record<string, string> = {}) => {
    const metric = await metrics.registry.getSingleMetric(name)!.get();
    const match = metric.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return match?.value ?? 0;
  };
  return { gate, warn, refusals, admit, counter };
}

describe('AuthGate', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('gives every kind of failure the same answer, and the log the reason with the peer', async () => {
    const { gate, warn, refusals, admit, counter } = setup({}, 100);
    const failures: [string, Metadata, string][] = [
      ['missing', bearer(), 'missing_metadata'],
      ['scheme', bearer(`Basic ${GOOD}`), 'bad_metadata'],
      ['malformed', bearer('Bearer ak_short'), 'malformed_key'],
      ['unknown', bearer('Bearer ak_neverissuedneverissued0000'), 'unknown_key'],
      ['revoked', bearer(`Bearer ${REVOKED}`), 'revoked_key'],
    ];
    for (const [, metadata] of failures) expect(admit(ATTACKER, metadata)).toBe(false);
    const identified = gate.identify(
      { peer: ATTACKER, method: METHOD },
      bearer(`Bearer ${GOOD}`),
      OTHER,
      (r) => refusals.push(r),
    );
    expect(identified).toBeUndefined();

    expect(refusals).toHaveLength(6);
    for (const r of refusals)
      expect(r).toEqual({ code: status.UNAUTHENTICATED, details: AUTH_FAILED_DETAILS });
    const logged = warn.mock.calls.map(([fields]) => fields as Record<string, unknown>);
    expect(logged.map((f) => f.reason)).toEqual([...failures.map(([, , r]) => r), 'body_key_mismatch']);
    for (const f of logged) {
      expect(f).toMatchObject({ peer: ATTACKER, method: METHOD });
      expect(f).not.toHaveProperty('ok');
    }
    expect(logged[4].keyId).toMatch(/^[0-9a-f]{12}$/);
    const text = JSON.stringify(warn.mock.calls);
    for (const key of [GOOD, OTHER, REVOKED, 'neverissued']) expect(text).not.toContain(key.slice(3));
    expect(await counter('gateway_auth_failures_total', { reason: 'revoked_key' })).toBe(1);
    expect(await counter('gateway_auth_failures_total', { reason: 'body_key_mismatch' })).toBe(1);
    expect(await counter('gateway_auth_rejections_total', { method: METHOD })).toBe(6);
  });

  it('admits a valid key and identifies it, with or without a matching body key', () => {
    const { gate, refusals, admit } = setup();
    expect(admit(AGENT, bearer(`Bearer ${GOOD}`))).toBe(true);
    const call = { peer: AGENT, method: METHOD };
    expect(gate.identify(call, bearer(`Bearer ${GOOD}`), GOOD, () => undefined)?.agentKey).toBe(GOOD);
    expect(
      gate.identify(call, bearer(`Bearer ${GOOD}`), undefined, () => undefined)?.principal.tenantId,
    ).toBe('default');
    expect(refusals).toEqual([]);
  });

  it('throttles an address after a burst of failures, late and unchecked, and lets it in again after refill', async () => {
    const { refusals, admit, counter } = setup({}, 3);
    for (let i = 0; i < 3; i++) admit(ATTACKER, bearer('Bearer ak_neverissuedneverissued0000'));
    expect(refusals).toHaveLength(3);

    expect(admit(ATTACKER, bearer(`Bearer ${GOOD}`))).toBe(false);
    expect(refusals).toHaveLength(3);
    jest.advanceTimersByTime(999);
    expect(refusals).toHaveLength(3);
    jest.advanceTimersByTime(1);
    expect(refusals).toHaveLength(4);
    expect(refusals[3].details).toBe(AUTH_FAILED_DETAILS);
    expect(await counter('gateway_auth_throttled_total')).toBe(1);
    // Throttled calls are not checked, so they are not failures and do not drain the bucket further.
    expect(await counter('gateway_auth_failures_total', { reason: 'unknown_key' })).toBe(3);

    expect(admit(ATTACKER, bearer(`Bearer ${GOOD}`))).toBe(true);
  });

  it('leaves other addresses alone while one is throttled', () => {
    const { refusals, admit } = setup({}, 2);
    for (let i = 0; i < 5; i++) admit(ATTACKER, bearer());
    expect(admit(AGENT, bearer(`Bearer ${GOOD}`))).toBe(true);
    expect(admit('[2001:db8:0:1::5]:1', bearer(`Bearer ${GOOD}`))).toBe(true);
    expect(refusals).toHaveLength(2);
    jest.advanceTimersByTime(1000);
    expect(refusals).toHaveLength(5);
  });

  it('bounds the delayed answers: beyond the bound a throttled call is refused at once', () => {
    const { refusals, admit } = setup({ maxDelayedAnswers: 2 }, 1);
    admit(ATTACKER, bearer());
    for (let i = 0; i < 5; i++) admit(ATTACKER, bearer(`Bearer ${GOOD}`));
    expect(refusals).toHaveLength(1 + 3);
    jest.advanceTimersByTime(1000);
    expect(refusals).toHaveLength(6);
  });

  it('answers delayed refusals at once on flush', () => {
    const { gate, refusals, admit } = setup({}, 1);
    admit(ATTACKER, bearer());
    admit(ATTACKER, bearer());
    expect(refusals).toHaveLength(1);
    gate.flush();
    expect(refusals).toHaveLength(2);
    jest.advanceTimersByTime(5000);
    expect(refusals).toHaveLength(2);
  });

  it('rate-limits its log and says how many lines it left out', () => {
    const { warn, admit } = setup({ logMaxLines: 2, logIntervalMs: 10_000 }, 1000);
    for (let i = 0; i < 7; i++) admit(ATTACKER, bearer());
    expect(warn).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(10_000);
    admit(ATTACKER, bearer());
    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls[2][0]).toMatchObject({ suppressedSinceLastLine: 5 });
  });
});
