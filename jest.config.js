// Two tiers: unit specs beside the code, and integration/e2e specs under test/ that run
// against a real Kafka broker started by test/setup/global-setup.ts (unless KAFKA_BROKERS is set).
const fs = require('node:fs');
// Workers started from TypeScript sources (the gateway's Kafka producer thread, the projector's ClickHouse
// child process) compile with this hook.
process.env.TS_WORKER_REGISTER ??= `${__dirname}/test/support/ts-worker-register.js`;
const swcConfig = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
const shared = {
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcConfig, swcrc: false }] },
  moduleNameMapper: { '^@app/([a-z-]+)(/.*)?$': '<rootDir>/libs/$1/src$2' },
  testEnvironment: 'node',
};
module.exports = {
  // On these 2-core machines Jest runs the suites in its own process; a kafkajs client left
  // retrying after the test broker stopped kept it alive once after all 445 tests had passed.
  // Exit when the run is over instead of hanging CI until its time limit.
  forceExit: true,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,bench}/**/*.spec.ts', '<rootDir>/test/contract/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/timeouts.ts'],
    },
    {
      // Real brokers killed, processes SIGKILLed: `npm run test:faults`, and part of `npm test`.
      ...shared,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/timeouts.ts'],
    },
  ],
};
