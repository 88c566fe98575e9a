export * from './stats-message';
export * from './sql-client';
export * from './gateway-env';
