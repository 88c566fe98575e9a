import type { Server } from 'node:http';
import { ConfigError } from '@app/config';
import { describeStartFailure, startApp } from './bootstrap';
import { createLogger } from './logger';
import { OpsModule } from './ops.module';

describe('startApp', () => {
  it('listens where it is told: the apps default to loopback', async () => {
    const logger = createLogger('spec', 'silent', 'json');
    const app = await startApp(OpsModule.forApp('spec', logger), logger, { port: 0, host: '127.0.0.1' });
    try {
      const address = (app.getHttpServer() as Server).address();
      expect(address).toMatchObject({ address: '127.0.0.1' });
      const port = (address as { port: number }).port;
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('describeStartFailure', () => {
  it('keeps the stack and the cause of an unexpected error', () => {
    const error = new Error('connect failed', { cause: new Error('ECONNREFUSED') });
    const text = describeStartFailure(error);
    expect(text).toMatch(/^Error: connect failed\n\s+at /);
    expect(text).toContain('bootstrap.spec.ts');
    expect(text).toMatch(/Caused by: Error: ECONNREFUSED\n\s+at /);
  });

  it('shows bad configuration as its list of variables, without a stack', () => {
    const text = describeStartFailure(new ConfigError(['PORT: must be a TCP port number (got "x")']));
    expect(text).toBe('Invalid configuration:\n  - PORT: must be a TCP port number (got "x")');
  });

  it('describes a thrown non-error', () => {
    expect(describeStartFailure('plain')).toBe('plain');
  });
});
