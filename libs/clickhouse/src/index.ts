export * from './clickhouse.factory';
export * from './migrations';
export * from './schema';
