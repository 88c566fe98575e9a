export * from './logger';
export * from './metrics';
export * from './health';
export * from './ops.module';
export * from './ops.controller';
export * from './bootstrap';
export * from './process-handlers';
