export * from './transport.errors';
export * from './transport-message';
export * from './message-transport';
export * from './deadline';
export * from './delivery-runner';
export * from './check-group';
export * from './in-memory-transport';
