import { prettyFactory } from 'pino-pretty';
import { AppLogger, NestPinoLogger, PRETTY_OPTIONS, resolveLogFormat } from './logger';

describe('log format', () => {
  it.each([
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as const)('%s with a terminal %s → %s', (format, tty, expected) => {
    expect(resolveLogFormat(format, tty)).toBe(expected);
  });

  it('prints one readable line per event, app and component first', () => {
    const format = prettyFactory({ ...PRETTY_OPTIONS, colorize: false });
    const line = format(
      JSON.stringify({
        level: 40,
        time: Date.UTC(2026, 0, 1, 12, 0, 0),
        app: 'projector',
        pid: 123,
        component: 'kafkajs',
        broker: '127.0.0.1:9092',
        error: 'The group coordinator is not available',
        msg: 'Response FindCoordinator',
      }),
    );
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: projector kafkajs: Response FindCoordinator \{"broker":"127\.0\.0\.1:9092","error":"The group coordinator is not available"\}\n$/,
    );
    expect(line).not.toContain('123');
  });
});

describe('NestPinoLogger', () => {
  it("keeps Nest's module and route report out of the info log", () => {
    const calls: string[] = [];
    const at = (level: string) => (_fields: object, message: string) => calls.push(`${level} ${message}`);
    const logger = { info: at('info'), debug: at('debug') } as unknown as AppLogger;
    const nest = new NestPinoLogger(logger);
    nest.log('Mapped {/metrics, GET} route', 'RouterExplorer');
    nest.log('OpsModule dependencies initialized', 'InstanceLoader');
    nest.log('Nest application successfully started', 'NestApplication');
    expect(calls).toEqual([
      'debug Mapped {/metrics, GET} route',
      'debug OpsModule dependencies initialized',
      'info Nest application successfully started',
    ]);
  });
});
