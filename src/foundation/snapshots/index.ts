export * from './snapshot-store';
export * from './in-memory-snapshot-store';
export * from './stream-snapshot-store';
export * from './snapshot-codec';
export * from './snapshot.errors';
export * from './encrypted-snapshot-store';
