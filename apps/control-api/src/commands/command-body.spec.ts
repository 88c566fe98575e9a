import { CommandIdParams, CreateCommandBody, ListCommandsQuery } from '../http/api-schemas';
import { ProblemException } from '../http/problem';
import { parse } from '../http/validate';

const valid = { agent_id: 'ag_0123456789abcdef0123', host: 'h1', container: 'web', command: 'RESTART' };

function problemOf(schema: Parameters<typeof parse>[0], value: unknown, part: 'body' | 'query' | 'path') {
  try {
    parse(schema, value, part);
  } catch (error) {
    return (error as ProblemException).problem;
  }
  throw new Error('accepted');
}

describe('POST /v1/commands body', () => {
  it('accepts a valid body, with or without expires_in_seconds', () => {
    expect(parse(CreateCommandBody, valid, 'body')).toEqual(valid);
    expect(
      parse(CreateCommandBody, { ...valid, expires_in_seconds: 604800 }, 'body').expires_in_seconds,
    ).toBe(604800);
  });

  it.each([
    ['a wrong command', { ...valid, command: 'KILL' }, '/body/command', 'one of START, STOP, RESTART'],
    ['a lowercase command', { ...valid, command: 'start' }, '/body/command', 'one of START, STOP, RESTART'],
    ['a missing agent_id', { ...valid, agent_id: undefined }, '/body/agent_id', ''],
    ['a malformed agent_id', { ...valid, agent_id: 'web-1' }, '/body/agent_id', 'an agent id'],
    ['a missing host', { ...valid, host: undefined }, '/body/host', ''],
    ['an empty container', { ...valid, container: '' }, '/body/container', 'must not be empty'],
    [
      'a container with a newline',
      { ...valid, container: 'a\nb' },
      '/body/container',
      'no control characters',
    ],
    ['expires_in_seconds 0', { ...valid, expires_in_seconds: 0 }, '/body/expires_in_seconds', 'at least 1'],
    ['expires_in_seconds -5', { ...valid, expires_in_seconds: -5 }, '/body/expires_in_seconds', 'at least 1'],
    [
      'expires_in_seconds over 7 days',
      { ...valid, expires_in_seconds: 604801 },
      '/body/expires_in_seconds',
      'at most 604800 (7 days)',
    ],
    [
      'expires_in_seconds 1.5',
      { ...valid, expires_in_seconds: 1.5 },
      '/body/expires_in_seconds',
      'whole number',
    ],
    [
      'expires_in_seconds "60"',
      { ...valid, expires_in_seconds: '60' },
      '/body/expires_in_seconds',
      'whole number',
    ],
    ['an unknown field', { ...valid, force: true }, '/body/force', 'unknown field'],
  ])('%s → 400 naming %s', (_label, body, field, message) => {
    const p = problemOf(CreateCommandBody, body, 'body');
    expect(p).toMatchObject({ status: 400, code: 'invalid_request', field });
    expect(p.detail).toContain(field);
    expect(p.detail).toContain(message);
  });

  it('no body at all names the first missing field', () => {
    expect(problemOf(CreateCommandBody, undefined, 'body').field).toBe('/body/agent_id');
  });
});

describe('GET /v1/commands parameters', () => {
  it.each([
    [{ status: 'done' }, '/query/status'],
    [{ limit: '0' }, '/query/limit'],
    [{ limit: '501' }, '/query/limit'],
    [{ limit: 'ten' }, '/query/limit'],
    [{ cursor: 'a b' }, '/query/cursor'],
    [{ agent_id: 'x' }, '/query/agent_id'],
    [{ tenant: 'acme' }, '/query/tenant'],
  ])('%j → 400 naming %s', (query, field) => {
    expect(problemOf(ListCommandsQuery, query, 'query')).toMatchObject({ status: 400, field });
  });

  it('defaults limit to 100', () => {
    expect(parse(ListCommandsQuery, {}, 'query')).toEqual({ limit: 100 });
  });

  it('a command id is a lowercase UUID', () => {
    expect(problemOf(CommandIdParams, { command_id: 'nope' }, 'path').field).toBe('/path/command_id');
    expect(
      parse(CommandIdParams, { command_id: '0b7c9d3e-1f2a-4b5c-8d6e-7f8091a2b3c4' }, 'path'),
    ).toBeTruthy();
  });
});
