export * from './snapshot-store';
export * from './in-memory-snapshot-store';
export * from './stream-snapshot-store';
