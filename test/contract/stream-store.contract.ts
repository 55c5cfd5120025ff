/**
 * The StreamStore contract moved to the testing kit (`src/testing/contracts`, exported from
 * `reactive-domain/testing` as `streamStoreContract`). This file keeps the old names for test files written against
 * it (branches in flight); new tests import from `src/testing` directly.
 */
export {
  streamStoreContract as describeStreamStoreContract,
  SubscriptionRecorder as Recorder,
  eventually,
  uniquePrefix,
  sampleEvent as anEvent,
  sampleEvents as events,
  type StoreFactory,
} from '../../src/testing/contracts';
