export * from './expected-version';
export * from './stream-store';
export * from './stream-store.errors';
export * from './all-filter';
export * from './stream-store-base';
export { ChangeSignal } from './change-signal';
export {
  CatchUpSubscription,
  type CatchUpSource,
  type CatchUpPage,
  type CatchUpOptions,
} from './catch-up-subscription';
export * from './in-memory-stream-store';
export * from './event-metadata';
export * from './event-serializer.errors';
export * from './event-serializer';
export * from './stream-name-builder';
export * from './stream-readers';
export * from './optional-package';
export * from './optional-package.errors';
export * from './personal-data.errors';
export * from './key-store';
export * from './personal-data-cipher';
export * from './encrypting-stream-store';
