import { logSafely } from '../../core/logger';
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { compileAllFilter } from '../../persistence/all-filter';
import { ExpectedVersion } from '../../persistence/expected-version';
import type {
  AllFilter,
  AllSlice,
  AppendResult,
  EventData,
  ReadStreamResult,
  RecordedEvent,
  StoreSubscription,
  SubscriptionHandlers,
} from '../../persistence/stream-store';
import {
  StreamStoreBase,
  type AllPageRequest,
  type StreamPageRequest,
  type SubscriptionTarget,
} from '../../persistence/stream-store-base';
import {
  StoreUnavailableError,
  StreamDeletedError,
  WrongExpectedVersionError,
} from '../../persistence/stream-store.errors';
import type {
  EsdbCallOptions,
  EsdbClientPort,
  EsdbPositionPoint,
  EsdbRecordedEvent,
  EsdbRevisionPoint,
  EsdbServerFilter,
} from './esdb-client-port';
import {
  clientErrorType,
  isConnectionLoss,
  mapClientError,
  revisionToNumber,
  toEsdbExpectedState,
} from './esdb-mapping';
import { EventStoreDBClientAdapter } from './eventstore-db-client-adapter';
import { UnexpectedServerResponseError } from './eventstoredb.errors';
import { EventStoreDBSubscription, type CatchUpSource } from './eventstoredb-subscription';
import { KurrentDBClientAdapter } from './kurrentdb-client-adapter';
import { checkConnectionString, type EsdbClientPackage } from './esdb-connection-string';
import {
  DEFAULT_DEADLINE_MS,
  MAX_DEADLINE_MS,
  OperationDeadlines,
  settlesWithin,
} from './operation-deadlines';

const DEFAULT_PAGE_SIZE = 500;
/** A delete/tombstone with `StreamExists` is emulated (read revision, then delete at it); retried on a race. */
const STREAM_EXISTS_ATTEMPTS = 3;
/** Server-side filter that excludes system events (type starting with `$`) when the caller set no filter. */
const EXCLUDE_SYSTEM_EVENTS: EsdbServerFilter = { on: 'eventType', regex: '^[^$]' };

export type { EsdbClientPackage } from './esdb-connection-string';

/** Options of {@link EventStoreDBStreamStore}. */
export interface EventStoreDBStreamStoreOptions {
  /** Events per read during a subscription's catch-up and per raw page of a filtered `$all` read (default 500). */
  readonly pageSize?: number;
  /**
   * How long one operation may take, in milliseconds (default 10 000; from a connection string, its
   * `defaultDeadline` when set). An append, read or delete that has not finished by then fails with
   * {@link EsdbOperationTimeoutError} (code `STORE_UNAVAILABLE`); a subscription whose catch-up read or server
   * confirmation takes longer is dropped with reason `connection_lost`. A live subscription that is merely quiet is
   * not affected (gRPC keep-alive detects a dead connection there).
   */
  readonly deadlineMs?: number;
}

/** Options of {@link EventStoreDBStreamStore.fromConnectionString}. */
export interface EventStoreDBConnectionOptions extends EventStoreDBStreamStoreOptions {
  /**
   * The client package to connect with. Default: `@kurrent/kurrentdb-client` for `kurrentdb://`/`kurrent://`
   * URLs, `@eventstore/db-client` otherwise.
   */
  readonly clientPackage?: EsdbClientPackage;
}

/** Options of the `from...Client` factories. */
export interface EventStoreDBClientOptions extends EventStoreDBStreamStoreOptions {
  /** Dispose the client (and close its channel) in {@link EventStoreDBStreamStore.close} (default false: the caller owns it). */
  readonly disposeClient?: boolean;
}

type LastRevision =
  | { readonly state: 'exists'; readonly revision: bigint }
  | { readonly state: 'none' }
  | { readonly state: 'deleted' };

/**
 * A {@link StreamStoreBase | StreamStore} on EventStoreDB / KurrentDB, over a narrow client port
 * ({@link EsdbClientPort}) with one adapter per client package (`@eventstore/db-client` 6.x,
 * `@kurrent/kurrentdb-client` 1.x). The base validates every argument; this class implements storage only.
 *
 * Mapping to the server, and where it costs something:
 * - Revisions are `bigint` on the wire and `number` here; a revision above `Number.MAX_SAFE_INTEGER` is a
 *   {@link RevisionOutOfRangeError}, never rounded. Positions are the server's commit positions (for gRPC appends the
 *   server reports commit == prepare for every event, so one number identifies an event).
 * - `$all` reads: the server's forward read INCLUDES the event at the given position while the port's `after` is
 *   exclusive, so forward reads skip it; backward reads are exclusive on the server already. The clients' `readAll`
 *   has no server-side filter in `@eventstore/db-client`, so filters (and the exclusion of `$` system events) are
 *   applied here, reading raw pages until a page is full.
 * - Event data is sent with the JSON content type. The clients accept only a JSON value for that and stringify it
 *   themselves, and parse it again on reads: one `JSON.parse` + `JSON.stringify` per event on each side, and the
 *   text read back is the canonical JSON of what was written (not a byte copy). Metadata is written as raw bytes.
 * - Appending an empty list writes nothing: it reads the stream's last revision and checks the expected version here
 *   (the clients cannot decode the server's "no stream" answer to an empty append). For a soft-deleted stream the
 *   revision before the delete is unknown to a reader, so only `Any`/`NoStream` succeed there.
 * - `StreamExists` for delete and tombstone is emulated (read the last revision, delete at that revision, retried on
 *   a concurrent append): neither client package can send it for those operations.
 *
 * Deadlines: every storage call runs under `deadlineMs` (see {@link EventStoreDBStreamStoreOptions.deadlineMs})
 * and fails with {@link EsdbOperationTimeoutError} (`STORE_UNAVAILABLE`) when the server does not answer in time;
 * `close()` cancels calls in flight.
 *
 * Subscriptions catch up by reading pages to the end, call `onLive`, then open a server subscription from the last
 * event seen (exclusive), de-duplicating by revision/position at the hand-over. Category and event-type views are
 * `$all` subscriptions with a server-side stream-name-prefix or event-type-prefix filter (e.g.
 * `{ on: 'streamName', prefixes: ['account-'] }` for the `account` category), so they do not depend on the server's
 * system projections (`$by_category`, `$by_event_type`) being enabled; `$` system events are always excluded.
 * Drops are reported through `onDropped` with reason `connection_lost` or `server_error` (or `handler_error`);
 * resubscribing from the checkpoint is the read-model layer's job.
 */
export class EventStoreDBStreamStore extends StreamStoreBase {
  private readonly pageSize: number;
  private readonly deadlines: OperationDeadlines;
  private readonly native = new Set<EventStoreDBSubscription>();

  constructor(
    /** The client port (an adapter over one client package). */
    readonly client: EsdbClientPort,
    options: EventStoreDBStreamStoreOptions = {},
  ) {
    // EventStoreDB serves the `$ce-`/`$et-` projection streams (when its system projections run).
    super({ name: 'EventStoreDBStreamStore', servesProjectionStreams: true });
    const { pageSize, deadlineMs } = resolveOptions(options ?? {});
    this.pageSize = pageSize;
    this.deadlines = new OperationDeadlines(deadlineMs);
  }

  /** The deadline of one operation, in milliseconds. */
  get deadlineMs(): number {
    return this.deadlines.deadlineMs;
  }

  /**
   * Connects with a connection string, e.g. `esdb://localhost:2113?tls=false` or `kurrentdb://localhost:2113?tls=false`.
   * The store owns the client: {@link close} disposes it.
   */
  static fromConnectionString(
    connectionString: string,
    options: EventStoreDBConnectionOptions = {},
  ): EventStoreDBStreamStore {
    const checked = checkConnectionString(connectionString);
    const clientPackage = options.clientPackage ?? checked.requiredPackage ?? '@eventstore/db-client';
    // The store's own options are checked before a client (and its channel) exists.
    const settings = resolveOptions({
      pageSize: options.pageSize,
      deadlineMs: options.deadlineMs ?? checked.defaultDeadlineMs,
    });
    const port =
      clientPackage === '@kurrent/kurrentdb-client'
        ? KurrentDBClientAdapter.fromConnectionString(checked.text)
        : EventStoreDBClientAdapter.fromConnectionString(checked.text);
    return new EventStoreDBStreamStore(port, settings);
  }

  /** Wraps an existing `@eventstore/db-client` client. */
  static fromEventStoreDBClient(
    client: EventStoreDBClient,
    options: EventStoreDBClientOptions = {},
  ): EventStoreDBStreamStore {
    return new EventStoreDBStreamStore(
      new EventStoreDBClientAdapter(client, options.disposeClient ?? false),
      options,
    );
  }

  /** Wraps an existing `@kurrent/kurrentdb-client` client (an optional peer dependency). */
  static fromKurrentDBClient(
    client: KurrentDBClient,
    options: EventStoreDBClientOptions = {},
  ): EventStoreDBStreamStore {
    return new EventStoreDBStreamStore(
      new KurrentDBClientAdapter(client, options.disposeClient ?? false),
      options,
    );
  }

  /** Subscriptions still running (they are EventStoreDB's own, see {@link openSubscription}). */
  override get subscriptionCount(): number {
    return this.native.size;
  }

  // ---- storage (the base validated the arguments) -----------------------------------------------------------------

  protected appendEvents(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    return this.deadlines.run('appendToStream', streamName, (signal) =>
      this.append(streamName, expectedVersion, events, signal),
    );
  }

  protected readStreamPage(streamName: string, request: StreamPageRequest): Promise<ReadStreamResult> {
    return this.deadlines.run('readStream', streamName, (signal) =>
      this.readStreamWithin(streamName, request, signal),
    );
  }

  protected readAllPage(request: AllPageRequest): Promise<AllSlice> {
    return this.deadlines.run('readAll', '$all', (signal) => this.readAllWithin(request, signal));
  }

  protected removeStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
  ): Promise<void> {
    return this.deadlines.run(mode === 'soft' ? 'deleteStream' : 'tombstoneStream', streamName, (signal) =>
      this.removeWithin(streamName, expectedVersion, mode, signal),
    );
  }

  /**
   * Cancels every operation in flight (they reject with {@link EsdbOperationTimeoutError}), stops every subscription
   * (without `onDropped`: the owner is shutting down) and releases the client. It does not wait for a server that no
   * longer answers: releasing the client is awaited for at most the deadline, after which a process warning says
   * the connection may still be open.
   */
  protected async closeStorage(): Promise<void> {
    this.deadlines.cancelAll();
    try {
      await Promise.all([...this.native].map((subscription) => subscription.close()));
    } finally {
      // Whatever a subscription did, release the connection: an open channel keeps the process alive.
      const released = await settlesWithin(this.client.dispose(), this.deadlines.deadlineMs);
      if (!released) {
        logSafely(
          'warn',
          { type: 'StoreUnavailableError', code: 'STORE_UNAVAILABLE' },
          `EventStoreDBStreamStore.close(): ${this.client.clientName} did not release its connection within ` +
            `${this.deadlines.deadlineMs} ms; it may keep the process alive`,
        );
      }
    }
  }

  /**
   * EventStoreDB's own subscriptions replace the base's polling `CatchUpSubscription`: once caught up, the
   * server PUSHES each event as it is committed — appends by other processes included — over one open gRPC call.
   * The shared subscription would have to re-read `$all` every `pollIntervalMs` to see other writers (a read per
   * subscription per interval, and up to an interval of latency), since this process's `changes` signal only knows
   * its own appends. Catch-up is still read in pages (each under the deadline) so that `onLive` means "every event
   * that existed at subscribe time was handled" on every server version.
   */
  protected override openSubscription(
    target: SubscriptionTarget,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    const source =
      target.kind === 'stream'
        ? this.nativeStreamSource(target.streamName, target.after)
        : this.nativeAllSource(target.after, target.filter);
    const subscription = new EventStoreDBSubscription(source, handlers, this.deadlines, (stopped) =>
      this.native.delete(stopped),
    );
    this.native.add(subscription);
    return subscription;
  }

  // ---- internals (under a deadline: `signal` aborts on expiry or close) ------------------------------------------

  private async append(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
    signal: AbortSignal,
  ): Promise<AppendResult> {
    if (events.length === 0) return this.emptyAppend(streamName, expectedVersion, signal);
    let result;
    try {
      result = await this.client.append(
        streamName,
        toEsdbExpectedState(expectedVersion),
        events.map((event) => ({
          id: event.eventId,
          type: event.type,
          data: event.data,
          metadata: event.metadata,
        })),
        this.callOptions(signal),
      );
    } catch (error) {
      throw mapClientError(error, { streamName, expected: expectedVersion });
    }
    if (result.position === undefined) {
      throw new UnexpectedServerResponseError(
        `appendToStream(${JSON.stringify(streamName)}): the server returned no position for a successful append`,
      );
    }
    return {
      nextExpectedVersion: revisionToNumber(result.nextRevision, streamName),
      position: result.position,
    };
  }

  private async readStreamWithin(
    streamName: string,
    request: StreamPageRequest,
    signal: AbortSignal,
  ): Promise<ReadStreamResult> {
    const { direction, fromRevision: from, maxCount } = request;
    const raw: EsdbRecordedEvent[] = [];
    try {
      // One more than asked for tells whether the page is the end of the stream.
      for await (const event of this.client.readStream(streamName, {
        direction,
        from: typeof from === 'number' ? BigInt(from) : from,
        maxCount: maxCount + 1,
        ...this.callOptions(signal),
      })) {
        raw.push(event);
      }
    } catch (error) {
      const type = clientErrorType(error);
      if (type === 'stream-not-found') return { status: 'not_found', streamName };
      if (type === 'stream-deleted' || type === 'stream-tombstoned') return { status: 'deleted', streamName };
      throw mapClientError(error, { streamName });
    }
    const isEndOfStream = raw.length <= maxCount;
    if (!isEndOfStream) raw.length = maxCount;
    const events = raw.map((event) => toRecordedEvent(event));
    let lastRevision: number;
    if (events.length > 0 && direction === 'backwards' && from === 'end') lastRevision = events[0]!.revision;
    else if (events.length > 0 && direction === 'forwards' && isEndOfStream)
      lastRevision = events[events.length - 1]!.revision;
    else {
      const last = await this.readLastRevision(streamName, signal);
      if (last.state === 'none') return { status: 'not_found', streamName };
      if (last.state === 'deleted') return { status: 'deleted', streamName };
      lastRevision = revisionToNumber(last.revision, streamName);
    }
    return { status: 'ok', streamName, events, lastRevision, isEndOfStream };
  }

  private async readAllWithin(request: AllPageRequest, signal: AbortSignal): Promise<AllSlice> {
    const { direction, after, maxCount } = request;
    const accept = compileAllFilter(request.filter);
    if ((direction === 'forwards' && after === 'end') || (direction === 'backwards' && after === 'start')) {
      return { events: [], isEnd: true };
    }
    const events: RecordedEvent[] = [];
    // One matching event past the page tells whether the page is the end.
    const wanted = maxCount + 1;
    const rawPage = Math.min(Math.max(wanted, this.pageSize), 4096);
    let cursor: EsdbPositionPoint = after;
    for (;;) {
      let received = 0;
      let fresh = 0;
      try {
        for await (const raw of this.client.readAll({
          direction,
          from: cursor,
          maxCount: rawPage,
          ...this.callOptions(signal),
        })) {
          received++;
          const position = requirePosition(raw);
          // Forwards, the server includes the event AT the cursor: the port's `after` is exclusive.
          if (
            typeof cursor === 'bigint' &&
            (direction === 'forwards' ? position <= cursor : position >= cursor)
          )
            continue;
          fresh++;
          cursor = position;
          if (!accept(raw)) continue;
          events.push(toRecordedEvent(raw));
          if (events.length === wanted) break;
        }
      } catch (error) {
        throw mapClientError(error, { streamName: '$all' });
      }
      if (events.length === wanted) return { events: events.slice(0, maxCount), isEnd: false };
      if (received < rawPage || fresh === 0) return { events, isEnd: true };
    }
  }

  private async removeWithin(
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
    signal: AbortSignal,
  ): Promise<void> {
    const remove = (expected: 'any' | 'no_stream' | bigint): Promise<void> =>
      mode === 'soft'
        ? this.client.deleteStream(streamName, expected, this.callOptions(signal))
        : this.client.tombstoneStream(streamName, expected, this.callOptions(signal));
    if (expectedVersion !== ExpectedVersion.StreamExists) {
      const expected = toEsdbExpectedState(expectedVersion);
      try {
        await remove(expected === 'stream_exists' ? 'any' : expected);
      } catch (error) {
        throw mapClientError(error, { streamName, expected: expectedVersion });
      }
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const last = await this.readLastRevision(streamName, signal);
      if (last.state === 'deleted') throw new StreamDeletedError(streamName);
      if (last.state === 'none')
        throw new WrongExpectedVersionError(streamName, expectedVersion, 'no_stream');
      try {
        await remove(last.revision);
        return;
      } catch (error) {
        const mapped = mapClientError(error, { streamName, expected: expectedVersion });
        // A concurrent append moved the revision: the stream still exists, so try again.
        if (!(mapped instanceof WrongExpectedVersionError) || attempt >= STREAM_EXISTS_ATTEMPTS) throw mapped;
      }
    }
  }

  private nativeStreamSource(streamName: string, after: number | 'start' | 'end'): CatchUpSource {
    const client = this.client;
    const pageSize = this.pageSize;
    // Last revision seen: everything up to it was delivered (or existed before an 'end' subscription).
    let checkpoint: bigint | 'start' = after === 'start' || after === 'end' ? 'start' : BigInt(after);
    let resolved = after !== 'end';
    return {
      description: `stream ${JSON.stringify(streamName)}`,
      operation: 'subscribeToStream',
      streamName,
      nextPage: async (signal) => {
        if (!resolved) {
          const last = await this.readLastRevision(streamName, signal);
          if (last.state === 'deleted') throw new StreamDeletedError(streamName);
          if (last.state === 'exists') checkpoint = last.revision;
          resolved = true;
          return { events: [], isEnd: true };
        }
        const from: EsdbRevisionPoint = checkpoint === 'start' ? 'start' : checkpoint + 1n;
        const events: RecordedEvent[] = [];
        let received = 0;
        try {
          for await (const raw of client.readStream(streamName, {
            direction: 'forwards',
            from,
            maxCount: pageSize,
            ...this.callOptions(signal),
          })) {
            received++;
            if (checkpoint !== 'start' && raw.revision <= checkpoint) continue;
            checkpoint = raw.revision;
            events.push(toRecordedEvent(raw));
          }
        } catch (error) {
          if (clientErrorType(error) === 'stream-not-found') return { events, isEnd: true };
          throw error;
        }
        return { events, isEnd: received < pageSize };
      },
      openLive: () => client.subscribeToStream(streamName, checkpoint),
      acceptLive: (raw) => {
        if (checkpoint !== 'start' && raw.revision <= checkpoint) return undefined;
        checkpoint = raw.revision;
        return toRecordedEvent(raw);
      },
      classify: (error) => classifyDrop(error, streamName),
    };
  }

  private nativeAllSource(after: bigint | 'start' | 'end', filter: AllFilter | undefined): CatchUpSource {
    const client = this.client;
    const pageSize = this.pageSize;
    const accept = compileAllFilter(filter);
    const serverFilter = toServerFilter(filter);
    // Last position seen (matching or not): everything up to it was considered.
    let checkpoint: bigint | 'start' = after === 'start' || after === 'end' ? 'start' : after;
    let resolved = after !== 'end';
    return {
      description: '$all',
      operation: 'subscribeToAll',
      streamName: '$all',
      nextPage: async (signal) => {
        if (!resolved) {
          const end = await this.endOfAll(signal);
          if (end !== undefined) checkpoint = end;
          resolved = true;
          return { events: [], isEnd: true };
        }
        // From a position the server repeats the event at it: ask for one more so a full page still has
        // `pageSize` new events (with pageSize 1 a page would otherwise hold only the repeat and end catch-up).
        const maxCount = checkpoint === 'start' ? pageSize : pageSize + 1;
        const events: RecordedEvent[] = [];
        let received = 0;
        let fresh = 0;
        for await (const raw of client.readAll({
          direction: 'forwards',
          from: checkpoint,
          maxCount,
          ...this.callOptions(signal),
        })) {
          received++;
          const position = requirePosition(raw);
          if (checkpoint !== 'start' && position <= checkpoint) continue;
          fresh++;
          checkpoint = position;
          if (accept(raw)) events.push(toRecordedEvent(raw));
        }
        return { events, isEnd: received < maxCount || fresh === 0 };
      },
      openLive: () => client.subscribeToAll(checkpoint, serverFilter),
      acceptLive: (raw) => {
        const position = requirePosition(raw);
        if (checkpoint !== 'start' && position <= checkpoint) return undefined;
        checkpoint = position;
        return accept(raw) ? toRecordedEvent(raw) : undefined;
      },
      classify: (error) => classifyDrop(error, '$all'),
    };
  }

  private async emptyAppend(
    streamName: string,
    expectedVersion: ExpectedVersion,
    signal: AbortSignal,
  ): Promise<AppendResult> {
    const last = await this.readLastRevision(streamName, signal);
    if (last.state === 'deleted') throw new StreamDeletedError(streamName);
    const current = last.state === 'exists' ? revisionToNumber(last.revision, streamName) : undefined;
    const matches =
      expectedVersion === ExpectedVersion.Any ||
      (expectedVersion === ExpectedVersion.NoStream && current === undefined) ||
      (expectedVersion === ExpectedVersion.StreamExists && current !== undefined) ||
      expectedVersion === current;
    if (!matches) throw new WrongExpectedVersionError(streamName, expectedVersion, current ?? 'no_stream');
    return { nextExpectedVersion: current ?? -1, position: (await this.endOfAll(signal)) ?? 0n };
  }

  /** The stream's last revision (one backward read of one event). */
  private async readLastRevision(streamName: string, signal: AbortSignal): Promise<LastRevision> {
    try {
      for await (const event of this.client.readStream(streamName, {
        direction: 'backwards',
        from: 'end',
        maxCount: 1,
        ...this.callOptions(signal),
      })) {
        return { state: 'exists', revision: event.revision };
      }
      return { state: 'none' };
    } catch (error) {
      const type = clientErrorType(error);
      if (type === 'stream-not-found') return { state: 'none' };
      if (type === 'stream-deleted' || type === 'stream-tombstoned') return { state: 'deleted' };
      throw mapClientError(error, { streamName });
    }
  }

  /** Position of the last event in `$all` (system events included), or undefined when the log is empty. */
  private async endOfAll(signal: AbortSignal): Promise<bigint | undefined> {
    try {
      for await (const event of this.client.readAll({
        direction: 'backwards',
        from: 'end',
        maxCount: 1,
        ...this.callOptions(signal),
      })) {
        return requirePosition(event);
      }
      return undefined;
    } catch (error) {
      throw mapClientError(error, { streamName: '$all' });
    }
  }

  private callOptions(signal: AbortSignal): EsdbCallOptions {
    return { signal, deadlineMs: this.deadlines.deadlineMs };
  }
}

/** Checks the store's options and applies the defaults. */
function resolveOptions(options: {
  readonly pageSize?: number | undefined;
  readonly deadlineMs?: number | undefined;
}): { readonly pageSize: number; readonly deadlineMs: number } {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new InvalidArgumentError(
      `EventStoreDBStreamStore: pageSize must be a positive safe integer, got ${describeValue(pageSize)}`,
    );
  }
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (!Number.isSafeInteger(deadlineMs) || deadlineMs < 1 || deadlineMs > MAX_DEADLINE_MS) {
    throw new InvalidArgumentError(
      `EventStoreDBStreamStore: deadlineMs must be a whole number of milliseconds from 1 to ${MAX_DEADLINE_MS}, ` +
        `got ${describeValue(deadlineMs)}`,
    );
  }
  return { pageSize, deadlineMs };
}

function toServerFilter(filter: AllFilter | undefined): EsdbServerFilter {
  if (filter === undefined) return EXCLUDE_SYSTEM_EVENTS;
  return filter.on === 'streamName'
    ? { on: 'streamName', prefixes: [...filter.prefixes] }
    : { on: 'eventType', prefixes: [...filter.prefixes] };
}

function classifyDrop(error: unknown, streamName: string) {
  const mapped = mapClientError(error, { streamName });
  return {
    error: mapped,
    reason:
      isConnectionLoss(error) || mapped instanceof StoreUnavailableError
        ? ('connection_lost' as const)
        : ('server_error' as const),
  };
}

function requirePosition(event: EsdbRecordedEvent): bigint {
  if (event.position === undefined) {
    throw new UnexpectedServerResponseError(
      `The server returned event ${event.revision} of stream ${JSON.stringify(event.streamName)} without a $all position`,
    );
  }
  return event.position;
}

function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  return {
    streamName: event.streamName,
    revision: revisionToNumber(event.revision, event.streamName),
    position: requirePosition(event),
    eventId: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    created: event.created,
  };
}
