export * from './read-model-base';
