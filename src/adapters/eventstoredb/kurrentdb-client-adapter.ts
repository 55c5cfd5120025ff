import type {
  AppendStreamState,
  KurrentDBClient,
  ReadRevision,
  StreamState,
} from '@kurrent/kurrentdb-client';
import type * as KurrentPackage from '@kurrent/kurrentdb-client';
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
import { closeClientChannel } from './eventstore-db-client-adapter';
import { ClientPackageMissingError } from './eventstoredb.errors';

type KurrentModule = typeof KurrentPackage;

const PACKAGE = '@kurrent/kurrentdb-client' as const;
let kurrentModule: KurrentModule | undefined;

/**
 * Loads the optional peer `@kurrent/kurrentdb-client` on first use, so importing this library never fails when it
 * is absent (only creating a Kurrent adapter does, with {@link ClientPackageMissingError}).
 */
export function loadKurrentClientModule(): KurrentModule {
  if (kurrentModule) return kurrentModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    kurrentModule = require(PACKAGE) as KurrentModule;
  } catch (error) {
    throw new ClientPackageMissingError(PACKAGE, { cause: error });
  }
  return kurrentModule;
}

function toReadRevision(point: EsdbRevisionPoint): ReadRevision {
  return point;
}

/**
 * {@link EsdbClientPort} over `@kurrent/kurrentdb-client` 1.x, the renamed successor of `@eventstore/db-client`.
 *
 * Differences handled here, each checked against the package's code:
 * - appends take the expected state as `streamState` (the old `expectedRevision` is silently ignored by this
 *   package and the append would run with ANY — the option object is typed, so a wrong name does not compile);
 *   delete and tombstone still take `expectedRevision`;
 * - `readStream`/`readAll` go through a native (Rust) bridge and return async iterators; subscriptions still use
 *   gRPC from JavaScript;
 * - its `WrongExpectedVersionError` carries `expectedState`/`actualState` (mapped in `esdb-mapping.ts`).
 */
export class KurrentDBClientAdapter implements EsdbClientPort {
  readonly clientName = PACKAGE;
  private disposed: Promise<void> | undefined;

  constructor(
    /** The wrapped client; owned by this adapter when created from a connection string. */
    readonly client: KurrentDBClient,
    private readonly ownsClient: boolean = false,
  ) {}

  /** Creates a client from a `kurrentdb://` or `esdb://` connection string; the adapter owns (and disposes) it.
   * @throws InvalidConnectionStringError when the string is malformed (the message never quotes credentials).
   */
  static fromConnectionString(connectionString: string): KurrentDBClientAdapter {
    const checked = checkConnectionString(connectionString);
    const { KurrentDBClient: Client } = loadKurrentClientModule();
    const client = openWithConnectionString(checked, PACKAGE, (text) => Client.connectionString(text));
    return new KurrentDBClientAdapter(client, true);
  }

  async append(
    streamName: string,
    expected: EsdbExpectedState,
    events: readonly EsdbProposedEvent[],
    options: EsdbCallOptions = {},
  ): Promise<EsdbAppendResult> {
    const { jsonEvent } = loadKurrentClientModule();
    const streamState: AppendStreamState = expected;
    const result = await this.client.appendToStream(
      streamName,
      events.map((event) => jsonEvent(toClientJsonEvent(event))),
      { streamState, ...clientDeadline(options) },
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
      ...(filter ? { filter: this.toClientFilter(filter) } : {}),
    });
    return wrapClientSubscription(subscription as unknown as ClientSubscriptionShape);
  }

  async deleteStream(
    streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options: EsdbCallOptions = {},
  ): Promise<void> {
    const expectedRevision: StreamState = expected;
    await this.client.deleteStream(streamName, { expectedRevision, ...clientDeadline(options) });
  }

  async tombstoneStream(
    streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options: EsdbCallOptions = {},
  ): Promise<void> {
    const expectedRevision: StreamState = expected;
    await this.client.tombstoneStream(streamName, { expectedRevision, ...clientDeadline(options) });
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (!this.ownsClient) return;
      await this.client.dispose();
      await closeClientChannel(this.client);
    })();
    return this.disposed;
  }

  private toClientFilter(filter: EsdbServerFilter) {
    const { eventTypeFilter, streamNameFilter } = loadKurrentClientModule();
    if ('regex' in filter) return eventTypeFilter({ regex: filter.regex });
    const prefixes = [...filter.prefixes];
    return filter.on === 'streamName' ? streamNameFilter({ prefixes }) : eventTypeFilter({ prefixes });
  }
}
