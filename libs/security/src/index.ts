export * from './clock';
export * from './secret-hasher';
export * from './rate-limiter';
export * from './failure-throttle';
export * from './peer-address';
export * from './agent-key.hasher';
