import { ProblemException } from '../http/problem';
import { resolveContainer } from './container-resolver';
import { AGENT_A, agentState } from './test-fixtures';

const agent = agentState(
  {
    h1: [
      { id: 'abc123def456', name: '/web' },
      { id: 'abd999000111', name: 'db' },
      { id: 'ffff00000000', name: 'abc' },
      { id: 'e00000000001', name: '/e00' },
    ],
  },
  ['h1', 'h2'],
);

function problemOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProblemException) return error.problem;
    throw error;
  }
  throw new Error('no problem raised');
}

describe('resolveContainer (like Docker)', () => {
  it.each([
    ['an exact id', 'abd999000111', 'abd999000111', 'db'],
    ['a name with its leading /', '/web', 'abc123def456', 'web'],
    ['a name without it', 'web', 'abc123def456', 'web'],
    ['a name reported without / asked with one', '/db', 'abd999000111', 'db'],
    ['a unique id prefix', 'abc1', 'abc123def456', 'web'],
    ['a one-character unique prefix', 'f', 'ffff00000000', 'abc'],
    ['a name before an id prefix', 'abc', 'ffff00000000', 'abc'],
    ['an exact id before a name', 'e00000000001', 'e00000000001', 'e00'],
  ])('%s', (_label, reference, id, name) => {
    expect(resolveContainer(agent, 'h1', reference)).toEqual({ containerId: id, containerName: name });
  });

  it('an ambiguous prefix is a 409 naming the candidates', () => {
    const p = problemOf(() => resolveContainer(agent, 'h1', 'ab'));
    expect(p).toMatchObject({ status: 409, code: 'container_ambiguous', field: '/body/container' });
    expect(p.detail).toContain('abc123def456');
    expect(p.detail).toContain('abd999000111');
  });

  it('an unknown container is a 404 naming it and the host', () => {
    const p = problemOf(() => resolveContainer(agent, 'h1', 'nope'));
    expect(p).toMatchObject({ status: 404, code: 'not_found', field: '/body/container' });
    expect(p.detail).toBe(`container nope not found on host h1 of agent ${AGENT_A}`);
  });

  it('a registered host without a container list: 404 naming the container', () => {
    const p = problemOf(() => resolveContainer(agent, 'h2', 'web'));
    expect(p).toMatchObject({ status: 404, field: '/body/container' });
    expect(p.detail).toContain('has not reported a container list');
  });

  it('an unknown host is a 404 naming the host', () => {
    const p = problemOf(() => resolveContainer(agent, 'h3', 'web'));
    expect(p).toMatchObject({
      status: 404,
      field: '/body/host',
      detail: `host h3 not found on agent ${AGENT_A}`,
    });
  });

  it('a host known only by its container list counts', () => {
    const listedOnly = agentState({ h9: [{ id: '0123', name: 'x' }] }, []);
    expect(resolveContainer(listedOnly, 'h9', 'x').containerId).toBe('0123');
  });
});
