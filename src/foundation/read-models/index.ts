export * from './event-processor';
export * from './read-model-base';
export * from './read-model.errors';
