export * from './read-model-types';
export * from './event-processor-hooks';
export * from './event-processor';
export * from './read-model-base';
export * from './durable-read-model';
export * from './projection-transactions';
export * from './in-memory-projection-transactions';
export * from './read-model.errors';
