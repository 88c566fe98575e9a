import { EventEmitter } from 'node:events';
import { createLogger } from './logger';
import { exitOnFatal, installProcessHandlers } from './process-handlers';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const target = Object.assign(emitter, { exit: (code: number) => void exits.push(code) });
  return { target, exits };
}

describe('installProcessHandlers', () => {
  it('logs an unhandled rejection with its stack and exits 1', () => {
    const { target, exits } = fakeProcess();
    const lines: string[] = [];
    installProcessHandlers('projector', target, (t) => lines.push(t));
    target.emit('unhandledRejection', new Error('Consumer group was not initialized'));
    expect(exits).toEqual([1]);
    expect(lines[0]).toMatch(
      /^projector: unhandled promise rejection, exiting: Error: Consumer group was not initialized\n\s+at /,
    );
  });

  it('logs an uncaught exception with its stack and exits 1', () => {
    const { target, exits } = fakeProcess();
    const lines: string[] = [];
    installProcessHandlers('gateway', target, (t) => lines.push(t));
    target.emit('uncaughtException', new TypeError('boom'), 'uncaughtException');
    expect(exits).toEqual([1]);
    expect(lines[0]).toMatch(/^gateway: uncaught exception, exiting: TypeError: boom\n\s+at /);
  });

  it('describes a rejection with a non-error', () => {
    const { target, exits } = fakeProcess();
    const lines: string[] = [];
    installProcessHandlers('agent-sim', target, (t) => lines.push(t));
    target.emit('unhandledRejection', 'plain');
    expect(lines).toEqual(['agent-sim: unhandled promise rejection, exiting: plain\n']);
    expect(exits).toEqual([1]);
  });
});

describe('exitOnFatal', () => {
  const logger = createLogger('spec', 'silent', 'json');

  it('closes the app, then exits 1', async () => {
    const steps: string[] = [];
    await exitOnFatal(logger, new Error('worker gone'), async () => void steps.push('closed'), {
      exit: (code) => void steps.push(`exit ${code}`),
    });
    expect(steps).toEqual(['closed', 'exit 1']);
  });

  it('exits 1 when the close fails', async () => {
    const exits: number[] = [];
    await exitOnFatal(logger, new Error('worker gone'), () => Promise.reject(new Error('unclean stop')), {
      exit: (code) => void exits.push(code),
    });
    expect(exits).toEqual([1]);
  });

  it('exits 1 when the close hangs past the deadline', async () => {
    const exits: number[] = [];
    await exitOnFatal(logger, new Error('worker gone'), () => new Promise(() => undefined), {
      timeoutMs: 20,
      exit: (code) => void exits.push(code),
    });
    expect(exits).toEqual([1]);
  });
});
