import type {
  AppendExpectedRevision,
  EventStoreDBClient,
  ExpectedRevision,
  ReadRevision,
} from '@eventstore/db-client';
import type * as EventStoreDBPackage from '@eventstore/db-client';
import type {
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
import {
  clientDeadline,
  convertClientRead,
  toClientReadPosition,
  toClientJsonEvent,
  wrapClientSubscription,
  type ClientResolvedEventShape,
  type ClientSubscriptionShape,
} from './client-event-conversion';
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

// The package's constants are these literal strings ('start', 'end', 'forwards', 'backwards').
function toReadRevision(point: EsdbRevisionPoint): ReadRevision {
  return point;
}

function toClientFilter(filter: EsdbServerFilter) {
  const { eventTypeFilter, streamNameFilter } = loadEventStoreDBClientModule();
  if ('regex' in filter) return eventTypeFilter({ regex: filter.regex });
  const prefixes = [...filter.prefixes];
  return filter.on === 'streamName' ? streamNameFilter({ prefixes }) : eventTypeFilter({ prefixes });
}

/**
 * {@link EsdbClientPort} over `@eventstore/db-client` 6.x (the design baseline).
 *
 * - Appends pass the expected state as `expectedRevision` (this package's option name).
 * - Reads return a Node `Readable`; they are consumed with `for await` only.
 * - `dispose()` cancels open calls (the client's own `dispose`) and then closes the gRPC channel, which the
 *   client's `dispose` leaves open (it would keep the process alive).
 */
export class EventStoreDBClientAdapter implements EsdbClientPort {
  readonly clientName = '@eventstore/db-client';
  private disposed: Promise<void> | undefined;

  constructor(
    /** The wrapped client; owned by this adapter when created from a connection string. */
    readonly client: EventStoreDBClient,
    private readonly ownsClient: boolean = false,
  ) {}

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

  async *readStream(streamName: string, options: EsdbReadStreamOptions): AsyncIterable<EsdbRecordedEvent> {
    const stream = this.client.readStream(streamName, {
      direction: options.direction,
      fromRevision: toReadRevision(options.from),
      maxCount: options.maxCount,
    });
    yield* convertClientRead(stream as AsyncIterable<ClientResolvedEventShape>, options.signal);
  }

  async *readAll(options: EsdbReadAllOptions): AsyncIterable<EsdbRecordedEvent> {
    const stream = this.client.readAll({
      direction: options.direction,
      fromPosition: toClientReadPosition(options.from),
      maxCount: options.maxCount,
    });
    yield* convertClientRead(stream as AsyncIterable<ClientResolvedEventShape>, options.signal);
  }

  subscribeToStream(streamName: string, from: EsdbRevisionPoint): EsdbClientSubscription {
    const subscription = this.client.subscribeToStream(streamName, { fromRevision: toReadRevision(from) });
    return wrapClientSubscription(subscription as unknown as ClientSubscriptionShape);
  }

  subscribeToAll(from: EsdbPositionPoint, filter: EsdbServerFilter | undefined): EsdbClientSubscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: toClientReadPosition(from),
      ...(filter ? { filter: toClientFilter(filter) } : {}),
    });
    return wrapClientSubscription(subscription as unknown as ClientSubscriptionShape);
  }

  async deleteStream(
    streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options: EsdbCallOptions = {},
  ): Promise<void> {
    const expectedRevision: ExpectedRevision = expected;
    await this.client.deleteStream(streamName, { expectedRevision, ...clientDeadline(options) });
  }

  async tombstoneStream(
    streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options: EsdbCallOptions = {},
  ): Promise<void> {
    const expectedRevision: ExpectedRevision = expected;
    await this.client.tombstoneStream(streamName, { expectedRevision, ...clientDeadline(options) });
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (!this.ownsClient) return;
      await this.client.dispose();
      await closeChannel(this.client);
    })();
    return this.disposed;
  }
}

/**
 * Closes the client's gRPC channel. The client keeps it in a private field; its (internal, untyped) `getChannel()`
 * returns it — creating one if none exists, which is harmless: a channel that never connected closes at once.
 */
async function closeChannel(client: object): Promise<void> {
  const getChannel = (client as { getChannel?: () => Promise<{ close(): void }> }).getChannel;
  if (typeof getChannel !== 'function') return;
  const channel = await getChannel.call(client);
  channel.close();
}

export { closeChannel as closeClientChannel };
