import type { AppendExpectedRevision, EventStoreDBClient } from '@eventstore/db-client';
import type * as EventStoreDBPackage from '@eventstore/db-client';
import type {
  EsdbAppendResult,
  EsdbCallOptions,
  EsdbExpectedState,
  EsdbProposedEvent,
} from './esdb-client-port';
import { clientDeadline, toClientJsonEvent } from './client-event-conversion';
import { ClientPackageAdapter, type ClientFilterFactories } from './client-package-adapter';
import { checkConnectionString, openWithConnectionString } from './esdb-connection-string';
import { ClientPackageMissingError } from './eventstoredb.errors';

type EventStoreDBModule = typeof EventStoreDBPackage;
let eventStoreDBModule: EventStoreDBModule | undefined;

/**
 * Loads `@eventstore/db-client` on first use. It is a dependency, but loading it only when an adapter needs it keeps
 * it out of processes that use the Kurrent client: the two packages' generated protobuf code registers classes in
 * one global `proto.event_store.client` namespace, and the package loaded last rewires the other's nested-message
 * serializers (measured: after loading `@kurrent/kurrentdb-client`, serializing an `@eventstore/db-client`
 * `ReadResp` with `caught_up` throws). Avoid loading both client packages in one process. Absent:
 * {@link ClientPackageMissingError}.
 */
function loadEventStoreDBClientModule(): EventStoreDBModule {
  if (eventStoreDBModule) return eventStoreDBModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    eventStoreDBModule = require('@eventstore/db-client') as EventStoreDBModule;
  } catch (error) {
    throw new ClientPackageMissingError('@eventstore/db-client', { cause: error });
  }
  return eventStoreDBModule;
}

/**
 * {@link EsdbClientPort} over `@eventstore/db-client` 6.x (the design baseline); the calls both packages share are
 * in `ClientPackageAdapter`.
 *
 * - Appends pass the expected state as `expectedRevision` (this package's option name).
 * - Reads return a Node `Readable`; they are consumed with `for await` only.
 */
export class EventStoreDBClientAdapter extends ClientPackageAdapter<EventStoreDBClient> {
  /** The wrapped client package (for messages). */
  readonly clientName = '@eventstore/db-client';

  /** Creates a client from an `esdb://` connection string; the adapter owns (and disposes) it.
   * @throws InvalidConnectionStringError when the string is malformed (the message never quotes credentials).
   */
  static fromConnectionString(connectionString: string): EventStoreDBClientAdapter {
    const checked = checkConnectionString(connectionString);
    const { EventStoreDBClient: Client } = loadEventStoreDBClientModule();
    const client = openWithConnectionString(checked, '@eventstore/db-client', (text) =>
      Client.connectionString(text),
    );
    return new EventStoreDBClientAdapter(client, true);
  }

  /** Appends `events` atomically, passing the expected state as `expectedRevision`; rejects with the client's error. */
  async append(
    streamName: string,
    expected: EsdbExpectedState,
    events: readonly EsdbProposedEvent[],
    options: EsdbCallOptions = {},
  ): Promise<EsdbAppendResult> {
    const { jsonEvent } = loadEventStoreDBClientModule();
    const expectedRevision: AppendExpectedRevision = expected;
    const result = await this.client.appendToStream(
      streamName,
      events.map((event) => jsonEvent(toClientJsonEvent(event))),
      { expectedRevision, ...clientDeadline(options) },
    );
    return { nextRevision: result.nextExpectedRevision, position: result.position?.commit };
  }

  /** @internal */
  protected filterFactories(): ClientFilterFactories {
    return loadEventStoreDBClientModule();
  }
}
