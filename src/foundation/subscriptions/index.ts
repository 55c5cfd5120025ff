export * from './checkpoint';
export * from './checkpoint-store';
export * from './in-memory-checkpoint-store';
export * from './listener-source';
export * from './listener.errors';
export * from './stream-listener';
export { countSourceEvents } from './count-events';
export * from './stored-events';
export * from './recorded-event-deserializer';
