export * from './repository';
export * from './snapshots';
export * from './listeners';
