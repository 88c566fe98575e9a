import { logLevel } from 'kafkajs';
import type { AppLogger } from '@app/observability';
import { Metrics } from '@app/observability';
import { appLogLevel, createKafkaClient } from './kafka-client.factory';
import {
  installFastProduceEncoding,
  installedKafkajsVersion,
  SUPPORTED_KAFKAJS_VERSION,
} from './fast-encoding/install';

/* eslint-disable @typescript-eslint/no-require-imports -- package.json, and kafkajs' own error table */
const RETRIABLE_ANSWERS = [
  'The group coordinator is not available',
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This is not the correct coordinator for this group',
  "The coordinator is loading and hence can't process requests for this group",
];

function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, message, fields });
  const child = { error: at('error'), warn: at('warn'), debug: at('debug'), info: at('info') };
  return { logger: { child: () => child } as unknown as AppLogger, lines };
}

describe('kafkajs version and fast encoders', () => {
  // If one of these fails after a kafkajs upgrade: README, "Upgrading kafkajs".
  it('pins kafkajs exactly to the version the fast encoders were proven against', () => {
    const pkg = require('../../../package.json') as { dependencies: Record<string, string> };
    expect(pkg.dependencies.kafkajs).toBe(SUPPORTED_KAFKAJS_VERSION);
    expect(installedKafkajsVersion()).toBe(SUPPORTED_KAFKAJS_VERSION);
  });

  it('a client made by the factory encodes with the fast encoders, and says so in a gauge', async () => {
    const { logger, lines } = recordingLogger();
    const metrics = new Metrics('test', false);
    createKafkaClient({ brokers: ['127.0.0.1:9'], clientId: 'spec', logger, metrics });
    expect(installFastProduceEncoding()).toBe('installed');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(await metrics.render()).toMatch(/^kafka_fast_encoders_installed\{app="test"\} 1$/m);
  });
});

describe('appLogLevel: what kafkajs logs as an error, and what it deserves', () => {
  it('knows every answer kafkajs retries by itself from kafkajs itself', () => {
    const { errorCodes } = require('kafkajs/src/protocol/error') as {
      errorCodes: { message: string; retriable: boolean }[];
    };
    const retriable = errorCodes.filter((e) => e.retriable).map((e) => e.message);
    expect(retriable).toEqual(expect.arrayContaining(RETRIABLE_ANSWERS));
    for (const error of retriable) {
      expect(appLogLevel(logLevel.ERROR, { message: 'Response Metadata(key: 3, version: 6)', error })).toBe(
        'debug',
      );
    }
  });

  it.each([
    // network/connection.js while a broker is down or starting
    ['Connection error: connect ECONNREFUSED 127.0.0.1:9092', 'warn'],
    ['Connection timeout', 'warn'],
    // cluster/brokerPool.js
    [
      'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
      'warn',
    ],
    ['The group coordinator is not available', 'warn'],
    // producer/sendMessages.js before a retry
    [
      'Failed to send messages: There is no leader for this topic-partition as we are in the middle of a leadership election',
      'warn',
    ],
    ['This server is not the leader for that topic-partition', 'warn'],
    // consumer/index.js: crashes kafkajs restarts from, and the restart itself
    ['Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available', 'warn'],
    ['Crash: KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9092', 'warn'],
    [
      "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
      'warn',
    ],
    ['Restarting the consumer in 300ms', 'warn'],
    // consumer/runner.js: it re-joins by itself
    ['The coordinator is not aware of this member, re-joining the group', 'warn'],
    // what a person must look at stays an error
    ['Crash: KafkaJSNonRetriableError: Topic authorization failed', 'error'],
    ['Crash: KafkaJSProtocolError: Not authorized to access topics: [Topic authorization failed]', 'error'],
    [
      'Failed to send messages: The request included message batch larger than the configured segment size on the server',
      'error',
    ],
    ['Error when calling eachBatch', 'error'],
    ['Offset out of range, resetting to default offset', 'error'],
    ['SASL PLAIN authentication failed: invalid credentials', 'error'],
  ])('%s → %s', (message, expected) => {
    expect(appLogLevel(logLevel.ERROR, { message })).toBe(expected);
  });

  it('keeps an error answer that kafkajs does not retry an error', () => {
    expect(
      appLogLevel(logLevel.ERROR, {
        message: 'Response Produce(key: 0, version: 7)',
        error: 'The request included a message larger than the max message size the server will accept',
      }),
    ).toBe('error');
  });

  it('leaves the per-topic errors of CreateTopics to ensureTopics (debug)', () => {
    const entry = { message: 'Response CreateTopics(key: 19, version: 3)', error: 'Topic creation errors' };
    expect(appLogLevel(logLevel.ERROR, entry)).toBe('debug');
  });

  it('leaves warnings warnings and anything quieter debug', () => {
    expect(appLogLevel(logLevel.WARN, { message: 'KafkaJS v2.0.0 switched default partitioner' })).toBe(
      'warn',
    );
    expect(appLogLevel(logLevel.INFO, { message: 'Consumer has joined the group' })).toBe('debug');
  });

  it('is what the client created by the factory logs with', () => {
    const { logger, lines } = recordingLogger();
    const kafka = createKafkaClient({ brokers: ['127.0.0.1:9'], clientId: 'spec', logger });
    const connection = kafka.logger().namespace('Connection');
    connection.error('Response FindCoordinator(key: 10, version: 2)', {
      broker: '127.0.0.1:9092',
      error: 'The group coordinator is not available',
    });
    connection.error('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {});
    connection.error('Crash: KafkaJSNonRetriableError: Topic authorization failed', {});
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['debug', 'Response FindCoordinator(key: 10, version: 2)'],
      ['warn', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
      ['error', 'Crash: KafkaJSNonRetriableError: Topic authorization failed'],
    ]);
    expect(lines[0].fields).toMatchObject({ error: 'The group coordinator is not available' });
  });
});
