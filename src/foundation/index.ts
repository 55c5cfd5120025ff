export * from './repository';
export * from './snapshots';
export * from './subscriptions';
export * from './read-models';
export * from './process-managers';
export * from './tenancy';
export * from './audit';
