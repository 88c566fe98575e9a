export * from './kafka-client.factory';
export * from './topic-admin';
export * from './batching-producer';
export * from './worker-producer';
export * from './serial-lanes';
export * from './fast-encoding/install';
export * from './key-partitioner';
export * from './buffer-slab';
