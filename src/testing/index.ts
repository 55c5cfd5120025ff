export * from './testing.errors';
export * from './message-diff';
export * from './test-queue';
export * from './test-environment';
export * from './aggregate-spec';
export * from './command-spec';
export * from './read-model-spec';
export * from './matchers';
