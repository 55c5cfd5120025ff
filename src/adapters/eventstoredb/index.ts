/**
 * `reactive-domain/eventstoredb`: the `StreamStore` on EventStoreDB / KurrentDB.
 *
 * `@eventstore/db-client` is a dependency; `@kurrent/kurrentdb-client` is an optional peer, loaded only when a
 * Kurrent adapter is created.
 * @packageDocumentation
 */
export {
  EventStoreDBStreamStore,
  type EsdbClientPackage,
  type EventStoreDBClientOptions,
  type EventStoreDBConnectionOptions,
  type EventStoreDBStreamStoreOptions,
} from './eventstoredb-stream-store';
export type {
  EsdbAppendResult,
  EsdbCallOptions,
  EsdbClientPort,
  EsdbClientSubscription,
  EsdbExpectedState,
  EsdbPositionPoint,
  EsdbProposedEvent,
  EsdbReadAllOptions,
  EsdbReadStreamOptions,
  EsdbRecordedEvent,
  EsdbRevisionPoint,
  EsdbServerFilter,
} from './esdb-client-port';
export { DEFAULT_DEADLINE_MS } from './operation-deadlines';
export { EventStoreDBClientAdapter } from './eventstore-db-client-adapter';
export { KurrentDBClientAdapter } from './kurrentdb-client-adapter';
export {
  ClientPackageMissingError,
  EsdbOperationTimeoutError,
  InvalidConnectionStringError,
  RevisionOutOfRangeError,
  UnexpectedServerResponseError,
} from './eventstoredb.errors';
export {
  fromEsdbExpectedState,
  mapClientError,
  revisionToNumber,
  toEsdbExpectedState,
  type ClientErrorContext,
} from './esdb-mapping';
