import { ProblemException } from '../http/problem';
import { canonicalJson, checkRetry, idempotencyKeyOf, KeyedSerializer, requestHash } from './idempotency';

describe('idempotency', () => {
  it('canonical JSON sorts keys at every level and leaves out undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('the request hash does not depend on field order, and does on any value', () => {
    const a = requestHash({ agent_id: 'x', host: 'h', container: 'c', command: 'START' });
    expect(requestHash({ command: 'START', container: 'c', host: 'h', agent_id: 'x' })).toBe(a);
    expect(requestHash({ agent_id: 'x', host: 'h', container: 'c', command: 'STOP' })).not.toBe(a);
    expect(
      requestHash({ agent_id: 'x', host: 'h', container: 'c', command: 'START', expires_in_seconds: 300 }),
    ).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('Idempotency-Key: absent, or 1 to 200 printable ASCII characters', () => {
    expect(idempotencyKeyOf(undefined)).toBeUndefined();
    expect(idempotencyKeyOf('retry me 1')).toBe('retry me 1');
    expect(idempotencyKeyOf('x'.repeat(200))).toHaveLength(200);
    for (const bad of ['', 'x'.repeat(201), 'tab\there', 'ü', ['a', 'b']]) {
      try {
        idempotencyKeyOf(bad);
        throw new Error(`accepted ${JSON.stringify(bad)}`);
      } catch (error) {
        expect((error as ProblemException).problem).toMatchObject({
          status: 400,
          field: '/header/idempotency-key',
        });
      }
    }
  });

  it('a retry: new without a prior command, replay with the same hash, 409 with another', () => {
    expect(checkRetry(undefined, 'k', 'h')).toEqual({ kind: 'new' });
    expect(checkRetry({ commandId: 'c1', requestHash: 'h' }, 'k', 'h')).toEqual({
      kind: 'replay',
      commandId: 'c1',
    });
    let thrown: unknown;
    try {
      checkRetry({ commandId: 'c1', requestHash: 'h' }, 'k', 'other');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as ProblemException).problem).toMatchObject({
      status: 409,
      code: 'idempotency_key_reused',
    });
  });

  it('KeyedSerializer runs work of one key one at a time, and of other keys together', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const job =
      (name: string, ms: number, fails = false) =>
      async () => {
        log.push(`${name}>`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`<${name}`);
        if (fails) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      serializer.run('k', job('a', 30, true)),
      serializer.run('k', job('b', 10)),
      serializer.run('k', job('c', 1)),
      serializer.run('other', job('x', 5)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(log.filter((l) => !l.includes('x'))).toEqual(['a>', '<a', 'b>', '<b', 'c>', '<c']);
    expect(log.indexOf('<x')).toBeLessThan(log.indexOf('<a'));
    expect(serializer.size).toBe(0);
  });
});
