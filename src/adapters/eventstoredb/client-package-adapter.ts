import type {
  EventStoreDBClient,
  SubscribeToAllOptions as EventStoreDBSubscribeToAllOptions,
} from '@eventstore/db-client';
import type {
  KurrentDBClient,
  SubscribeToAllOptions as KurrentSubscribeToAllOptions,
} from '@kurrent/kurrentdb-client';
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
  wrapClientSubscription,
  type ClientResolvedEventShape,
  type ClientSubscriptionShape,
} from './client-event-conversion';

/** A filter factory as both packages export it (`eventTypeFilter`, `streamNameFilter`). */
interface ClientFilterFactory {
  (options: { regex: string }): object;
  (options: { prefixes: string[] }): object;
}

/** The filter factories of a loaded client module. */
export interface ClientFilterFactories {
  readonly eventTypeFilter: ClientFilterFactory;
  readonly streamNameFilter: ClientFilterFactory;
}

/**
 * A `$all` filter either client accepts. Both packages' factories are the same code (`utils/filter.js`) and build the
 * same plain object; the declared types differ only in the optional `checkpointReached` callback, never set here.
 */
type ClientFilter = NonNullable<EventStoreDBSubscribeToAllOptions['filter']> &
  NonNullable<KurrentSubscribeToAllOptions['filter']>;

/**
 * What the two client adapters share: both packages' clients take the same options for reads, subscriptions, delete
 * and tombstone (the calls below are type-checked against both clients' declarations at once) and need the same
 * disposal. Each subclass makes the one call that differs, the append (its expected-state option is named
 * differently), loads its own package, and never loads the other: see `EventStoreDBClientAdapter` for why both
 * must not be loaded in one process. This class loads no client package itself.
 */
export abstract class ClientPackageAdapter<
  Client extends EventStoreDBClient | KurrentDBClient,
> implements EsdbClientPort {
  abstract readonly clientName: string;
  private disposed: Promise<void> | undefined;

  constructor(
    /** The wrapped client; owned by this adapter when created from a connection string. */
    readonly client: Client,
    private readonly ownsClient: boolean = false,
  ) {}

  abstract append(
    streamName: string,
    expected: EsdbExpectedState,
    events: readonly EsdbProposedEvent[],
    options?: EsdbCallOptions,
  ): Promise<EsdbAppendResult>;

  /** The loaded package's filter factories (loading the package on first use). @internal */
  protected abstract filterFactories(): ClientFilterFactories;

  async *readStream(streamName: string, options: EsdbReadStreamOptions): AsyncIterable<EsdbRecordedEvent> {
    const stream = this.client.readStream(streamName, {
      direction: options.direction,
      // The packages' constants are these literal strings ('start', 'end', 'forwards', 'backwards').
      fromRevision: options.from,
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
    const subscription = this.client.subscribeToStream(streamName, { fromRevision: from });
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
    await this.client.deleteStream(streamName, { expectedRevision: expected, ...clientDeadline(options) });
  }

  async tombstoneStream(
    streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options: EsdbCallOptions = {},
  ): Promise<void> {
    await this.client.tombstoneStream(streamName, { expectedRevision: expected, ...clientDeadline(options) });
  }

  /**
   * Cancels open calls (the client's own `dispose`) and then closes the gRPC channel, which the client's `dispose`
   * leaves open (it would keep the process alive). Only a client this adapter owns.
   */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (!this.ownsClient) return;
      await this.client.dispose();
      await closeChannel(this.client);
    })();
    return this.disposed;
  }

  private toClientFilter(filter: EsdbServerFilter): ClientFilter {
    const { eventTypeFilter, streamNameFilter } = this.filterFactories();
    if ('regex' in filter) return eventTypeFilter({ regex: filter.regex }) as ClientFilter;
    const prefixes = [...filter.prefixes];
    return (
      filter.on === 'streamName' ? streamNameFilter({ prefixes }) : eventTypeFilter({ prefixes })
    ) as ClientFilter;
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
