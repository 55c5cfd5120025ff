export * from './repository';
export * from './snapshots';
