import { alertspb } from '@app/contracts';
import type { AppLogger } from '@app/observability';
import type { ApiScope } from '../../auth/api-tokens';
import { ProblemException } from '../../http/problem';
import type { AlertingRecord, AlertingWriter } from '../alerting-records';
import { RulesService } from './rules.service';
import { RulesView } from './rules.view';

const acme: ApiScope = { kind: 'tenant', tenant: 'acme', tokenId: 'tok_acme' };
const globex: ApiScope = { kind: 'tenant', tenant: 'globex', tokenId: 'tok_globex' };
const operator: ApiScope = { kind: 'operator', tokenId: 'tok_op' };
const rule = { source: 'stats', when: 'stats.cpu_percent > 90.0', for: '1m' };
const logger = { info: () => undefined, warn: () => undefined } as unknown as AppLogger;

function setup(ready = true) {
  const view = new RulesView();
  const written: AlertingRecord[] = [];
  const writer: AlertingWriter = {
    writeRule: (r) => {
      written.push(r);
      return Promise.resolve();
    },
    writeSilence: () => Promise.resolve(),
    alertingReady: () => ready,
  };
  return { view, written, service: new RulesService(view, writer, 'api-1', logger, () => 1_764_000_000_000) };
}

async function problemOf(work: Promise<unknown>) {
  try {
    await work;
  } catch (error) {
    if (error instanceof ProblemException) return error.problem;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('RulesService', () => {
  it('writes a tenant rule with its tenant, revision 1 then 2, keyed by name', async () => {
    const { service, written, view } = setup();
    expect((await service.put(acme, 'cpu', rule)).created).toBe(true);
    const { record, created } = await service.put(acme, 'cpu', { ...rule, name: 'cpu', for: '2m' });
    expect([created, record.revision, record.actor, record.rule?.tenantId, record.rule?.forMs]).toEqual([
      false,
      '2',
      'tok_acme',
      'acme',
      '120000',
    ]);
    expect(written.map((w) => w.key)).toEqual(['cpu', 'cpu']);
    expect(alertspb.AlertRuleRecord.decode(written[1].value!)).toEqual(record);
    expect(view.get('cpu')).toEqual(record);
  });

  it('lets an operator set a tenant or none; refuses another tenant for a tenant token', async () => {
    const { service } = setup();
    expect((await service.put(operator, 'all', rule)).record.rule?.tenantId).toBe('');
    expect(
      (await service.put(operator, 'for-globex', { ...rule, tenant: 'globex' })).record.rule?.tenantId,
    ).toBe('globex');
    expect(await problemOf(service.put(acme, 'x', { ...rule, tenant: 'globex' }))).toMatchObject({
      code: 'tenant_not_allowed',
      field: '/body/tenant',
    });
  });

  it("answers 404 for another tenant's rule (read, overwrite, delete) and an operator's global one", async () => {
    const { service, written } = setup();
    await service.put(acme, 'cpu', rule);
    await service.put(operator, 'global', rule);
    for (const scope of [globex]) {
      expect(await problemOf(service.put(scope, 'cpu', rule))).toMatchObject({ code: 'not_found' });
      expect(await problemOf(service.remove(scope, 'cpu'))).toMatchObject({ code: 'not_found' });
    }
    expect(() => service.visible(acme, 'global', true)).toThrow(ProblemException);
    expect(written).toHaveLength(2);
  });

  it.each([
    ['a bad CEL condition', { ...rule, when: 'stats.cpu_percent >' }, '/body/when'],
    ['an unknown field', { ...rule, extra: 1 }, '/body/extra'],
    ['another name', { ...rule, name: 'other' }, '/body/name'],
    ['a non-object', 'text', '/body'],
    ['a malformed tenant', { ...rule, tenant: 'a b' }, '/body/tenant'],
  ])('refuses %s, naming %s', async (_label, body, field) => {
    const { service, written } = setup();
    expect(await problemOf(service.put(operator, 'cpu', body))).toMatchObject({
      code: 'invalid_request',
      field,
    });
    expect(written).toEqual([]);
  });

  it('deletes with a tombstone; 503 while the topics are still being read', async () => {
    const { service, written, view } = setup();
    await service.put(acme, 'cpu', rule);
    await service.remove(acme, 'cpu');
    expect(written[1]).toMatchObject({ key: 'cpu', value: null });
    expect(view.get('cpu')).toBeUndefined();
    expect(await problemOf(service.remove(acme, 'cpu'))).toMatchObject({ code: 'not_found' });
    expect(await problemOf(setup(false).service.put(acme, 'cpu', rule))).toMatchObject({
      code: 'unavailable',
    });
  });
});
