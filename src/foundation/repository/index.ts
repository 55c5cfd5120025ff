export * from './repository';
export * from './repository.errors';
export * from './stream-store-repository';
export * from './correlated-repository';
export * from './aggregate-cache';
