export * from './kafka-client.factory';
export * from './topic-admin';
export * from './batching-producer';
