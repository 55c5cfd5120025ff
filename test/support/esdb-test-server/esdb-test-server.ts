/**
 * A wire-level EventStoreDB test server: the `event_store.client.streams.Streams` gRPC service, served with
 * `@grpc/grpc-js` (the same module instance the client packages load) from the client package's OWN generated
 * service definition and message classes (`@eventstore/db-client/generated/streams_grpc_pb.js`, `streams_pb.js`,
 * `shared_pb.js`), backed by a {@link StreamStore} (the in-memory store). It lets the real `@eventstore/db-client`
 * talk real gRPC (insecure, 127.0.0.1, random port) to something with EventStoreDB's semantics, so the
 * EventStoreDB adapter is tested through the client's actual encoding and decoding paths without a container.
 *
 * It is test support, not a product feature, and not an EventStoreDB. Every response and error encoding below was
 * derived from the client's decoding code (`dist/streams/appendToStream/append.js`, `dist/utils/CommandError.js`
 * `convertToCommandError`, `dist/streams/utils/ReadStream.js` / `Subscription.js`, `dist/utils/convertGrpcEvent.js`)
 * and EventStoreDB's documented behaviour.
 *
 * Modelled:
 * - Read: stream reads (start/end/revision, forwards/backwards, count; not found as a `stream_not_found` message;
 *   tombstoned as a `stream-deleted` error status) and `$all` reads (start/end/position; forwards INCLUSIVE of the
 *   event at the position, backwards exclusive, as the server's `AllReader` does).
 * - Read with `subscription`: a confirmation first, then catch-up and live events, a `caught_up` message when live
 *   (servers >= 23.10 send it); stream subscriptions and `$all` subscriptions start AFTER the given revision/position
 *   (exclusive); `$all` filters on stream name or event type by prefix list or regex. A backing-store drop is sent
 *   as status UNAVAILABLE (connection lost), a tombstone of the subscribed stream as a `stream-deleted` status.
 * - Append (client streaming: options, then proposed messages): success with `current_revision` and a position
 *   (commit == prepare, as for implicitly committed gRPC writes); a wrong expected version as the response's
 *   `wrong_expected_version` body (servers >= 21); a tombstoned stream as a `stream-deleted` error status.
 * - Delete and Tombstone (unary): wrong expected version as a FAILED_PRECONDITION status with the
 *   `exception: wrong-expected-version`, `stream-name`, `expected-version`, `actual-version` trailers the client reads.
 * - ServerFeatures, BatchAppend, Gossip and every other service are not registered, so gRPC answers UNIMPLEMENTED:
 *   the client then assumes "no features" and uses plain Append.
 *
 * Fault injection: {@link EsdbTestServer.stall} makes calls of a kind accepted and never answered (a hung server),
 * so deadline handling can be tested through the real client; stalled calls end when the server closes.
 *
 * Not modelled: system events and system streams (the backing store has none, and its `$all` hides `$` types),
 * link resolution, checkpoints of filtered subscriptions, `max_search_window`, stream metadata / ACLs,
 * authentication, TLS, idempotent appends (duplicate event ids), the position returned by Delete/Tombstone (sent as
 * `no_position`), deadlines, the `structured` UUID format in responses (always the string form), binary
 * (non-JSON) content types (refused with INVALID_ARGUMENT), and append size limits.
 *
 * Clients: `@eventstore/db-client` (protocol `@eventstore/db-client`) and `@kurrent/kurrentdb-client` (protocol
 * `@kurrent/kurrentdb-client`: Kurrent's own generated v1 definitions, wire-compatible). Kurrent's reads go through
 * its native Rust bridge, which opens its own HTTP/2 connection to this server and works with it; its appends,
 * deletes and subscriptions use `@grpc/grpc-js`. Serve one protocol per process (see `loadGenerated`).
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb';
import type {
  AppendReq,
  AppendResp,
  DeleteReq,
  DeleteResp,
  ReadReq,
  ReadResp,
  TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import type {
  AllFilter,
  EventData,
  RecordedEvent,
  StoreSubscription,
  StreamStore,
} from '../../../src/persistence/stream-store';
import { StreamDeletedError, WrongExpectedVersionError } from '../../../src/persistence/stream-store.errors';

// The client package's own generated code (CommonJS, no package "exports" map). Both packages' generated files
// register their classes in the SAME global `proto.event_store.client.*` namespace (google-protobuf's CommonJS
// output), and nested-message serializers look classes up there at call time: once `@kurrent/kurrentdb-client` is
// loaded, `@eventstore/db-client`'s `ReadResp` serializer calls Kurrent's `CaughtUp` writer and fails
// ("message.getTimestamp is not a function"). So the server uses the generated code of the package whose client
// it serves, and each client runs in its own Jest test file (its own global).
type StreamsPbModule = typeof StreamsPb;
type SharedPbModule = typeof SharedPb;
interface GeneratedModules {
  readonly streamsGrpc: { readonly StreamsService: unknown };
  readonly pb: StreamsPbModule;
  readonly shared: SharedPbModule;
}

/** Which client package's generated definitions the server is built from. */
export type EsdbTestServerProtocol = '@eventstore/db-client' | '@kurrent/kurrentdb-client';

function loadGenerated(protocol: EsdbTestServerProtocol): GeneratedModules {
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (protocol === '@kurrent/kurrentdb-client') {
    // Kurrent's v1 protocol is the same schema with added fields; its classes have the same accessors.
    return {
      streamsGrpc:
        require('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb') as GeneratedModules['streamsGrpc'],
      pb: require('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb') as StreamsPbModule,
      shared:
        require('@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/shared_pb') as SharedPbModule,
    };
  }
  return {
    streamsGrpc:
      require('@eventstore/db-client/generated/streams_grpc_pb') as GeneratedModules['streamsGrpc'],
    pb: require('@eventstore/db-client/generated/streams_pb') as StreamsPbModule,
    shared: require('@eventstore/db-client/generated/shared_pb') as SharedPbModule,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

let pb: StreamsPbModule;
let shared: SharedPbModule;

/** The ESDB numeric encoding of expected versions in error trailers (EventStore.Core ExpectedVersion). */
const EXPECTED_NO_STREAM = -1;
const EXPECTED_ANY = -2;
const EXPECTED_STREAM_EXISTS = -4;
/** .NET ticks (100 ns) per millisecond; `created` is sent as ticks since the Unix epoch, as the client decodes it. */
const TICKS_PER_MS = 10_000n;
const PAGE = 500;

/**
 * Calls that {@link EsdbTestServer.stall} can hang: `read` (plain reads), `subscribe` (reads with the subscription
 * option: no confirmation, no events), `append`, `delete` (delete and tombstone).
 */
export type EsdbStallKind = 'read' | 'subscribe' | 'append' | 'delete';

/** A running test server. */
export interface EsdbTestServer {
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly connectionString: string;
  readonly port: number;
  /** The backing store (fault injection goes through it). */
  readonly backing: StreamStore;
  /** Number of Read calls currently open (subscriptions included). */
  readonly openReadCalls: number;
  /** From now on, calls of these kinds are accepted and never answered (until {@link resume} or close). */
  stall(...kinds: EsdbStallKind[]): void;
  /** New calls are answered again (calls already stalled stay stalled). */
  resume(): void;
  /** Number of calls currently stalled. */
  readonly stalledCalls: number;
  /** Stops the server at once: open calls end with an error on the client side. */
  close(): Promise<void>;
}

/** Options of {@link startEsdbTestServer}. */
export interface EsdbTestServerOptions {
  /** Port to bind (default 0: a random free port). */
  readonly port?: number;
  /** Whose generated definitions to serve with (default `@eventstore/db-client`); match the client under test. */
  readonly protocol?: EsdbTestServerProtocol;
}

/** Starts a test server on 127.0.0.1 backed by `backing`. */
export async function startEsdbTestServer(
  backing: StreamStore,
  options: EsdbTestServerOptions = {},
): Promise<EsdbTestServer> {
  const generated = loadGenerated(options.protocol ?? '@eventstore/db-client');
  // One protocol per process (see loadGenerated): the helpers below use the loaded module set.
  pb = generated.pb;
  shared = generated.shared;
  const server = new grpc.Server();
  const openCalls = new Set<{ cancel(): void }>();
  const stalls: Stalls = { kinds: new Set(), calls: new Set() };
  const handlers = createHandlers(backing, openCalls, stalls);
  server.addService(
    generated.streamsGrpc.StreamsService as unknown as grpc.ServiceDefinition,
    handlers as unknown as grpc.UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  let closed = false;
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    backing,
    get openReadCalls() {
      return openCalls.size;
    },
    stall(...kinds) {
      for (const kind of kinds) stalls.kinds.add(kind);
    },
    resume() {
      stalls.kinds.clear();
    },
    get stalledCalls() {
      return stalls.calls.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const call of [...openCalls]) call.cancel();
      for (const call of [...stalls.calls]) call.cancel();
      server.forceShutdown();
    },
  };
}

// ---- encoding helpers --------------------------------------------------------------------------------------------

function streamNameOf(identifier: { getStreamName_asU8(): Uint8Array } | undefined): string {
  if (!identifier) throw statusError(grpc.status.INVALID_ARGUMENT, 'stream identifier is required');
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

function streamIdentifier(name: string) {
  const identifier = new shared.StreamIdentifier();
  identifier.setStreamName(Buffer.from(name, 'utf8'));
  return identifier;
}

function uuidToString(uuid: InstanceType<typeof shared.UUID> | undefined): string {
  if (!uuid) throw statusError(grpc.status.INVALID_ARGUMENT, 'event id is required');
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const bytes = Buffer.alloc(16);
    bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
    bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return uuid.getString();
}

function toReadResp(event: RecordedEvent): ReadResp {
  const recorded = new pb.ReadResp.ReadEvent.RecordedEvent();
  const id = new shared.UUID();
  id.setString(event.eventId);
  recorded.setId(id);
  recorded.setStreamIdentifier(streamIdentifier(event.streamName));
  recorded.setStreamRevision(String(event.revision));
  recorded.setCommitPosition(event.position.toString());
  recorded.setPreparePosition(event.position.toString());
  const map = recorded.getMetadataMap();
  map.set('type', event.type);
  map.set('content-type', 'application/json');
  map.set('created', (BigInt(event.created.getTime()) * TICKS_PER_MS).toString());
  recorded.setData(Buffer.from(event.data, 'utf8'));
  recorded.setCustomMetadata(Buffer.from(event.metadata, 'utf8'));
  const readEvent = new pb.ReadResp.ReadEvent();
  readEvent.setEvent(recorded);
  readEvent.setCommitPosition(event.position.toString());
  const resp = new pb.ReadResp();
  resp.setEvent(readEvent);
  return resp;
}

interface StatusError extends Partial<grpc.StatusObject>, Error {}

function statusError(code: grpc.status, details: string, trailers: Record<string, string> = {}): StatusError {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

function expectedToNumber(expected: ExpectedVersion): number {
  if (expected === ExpectedVersion.Any) return EXPECTED_ANY;
  if (expected === ExpectedVersion.NoStream) return EXPECTED_NO_STREAM;
  if (expected === ExpectedVersion.StreamExists) return EXPECTED_STREAM_EXISTS;
  return expected;
}

/** Maps a backing-store error to the status EventStoreDB sends (RpcExceptions), as the client decodes it. */
function toStatusError(error: unknown): StatusError {
  if (error instanceof WrongExpectedVersionError) {
    return statusError(grpc.status.FAILED_PRECONDITION, error.message, {
      exception: 'wrong-expected-version',
      'stream-name': error.streamName,
      'expected-version': String(expectedToNumber(error.expected)),
      'actual-version': String(error.actual === 'no_stream' ? EXPECTED_NO_STREAM : error.actual),
    });
  }
  if (error instanceof StreamDeletedError) {
    return statusError(grpc.status.FAILED_PRECONDITION, `Event stream '${error.streamName}' is deleted.`, {
      exception: 'stream-deleted',
      'stream-name': error.streamName,
    });
  }
  const code = (error as { code?: unknown })?.code;
  if (code === 'INVALID_ARGUMENT') return statusError(grpc.status.INVALID_ARGUMENT, (error as Error).message);
  if (code === 'STORE_UNAVAILABLE') return statusError(grpc.status.UNAVAILABLE, (error as Error).message);
  return statusError(grpc.status.INTERNAL, error instanceof Error ? error.message : String(error));
}

function readExpected(options: {
  hasRevision(): boolean;
  getRevision(): string;
  hasNoStream(): boolean;
  hasAny(): boolean;
  hasStreamExists(): boolean;
}): ExpectedVersion {
  if (options.hasRevision()) return Number(options.getRevision());
  if (options.hasNoStream()) return ExpectedVersion.NoStream;
  if (options.hasStreamExists()) return ExpectedVersion.StreamExists;
  if (options.hasAny()) return ExpectedVersion.Any;
  throw statusError(grpc.status.INVALID_ARGUMENT, 'expected stream revision is required');
}

/** Writes with backpressure; resolves false when the call ended. */
function write(call: grpc.ServerWritableStream<ReadReq, ReadResp>, message: ReadResp): Promise<boolean> {
  if (call.destroyed || call.writableEnded) return Promise.resolve(false);
  if (call.write(message)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      call.off('drain', onDrain);
      call.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    call.on('drain', onDrain);
    call.on('close', onClose);
  });
}

type EventPredicate = (event: RecordedEvent) => boolean;

/** Compiles the request's `$all` filter: a backing-store filter when it is a prefix list, else a predicate. */
function readFilter(options: InstanceType<typeof pb.ReadReq.Options>): {
  backing?: AllFilter;
  predicate?: EventPredicate;
} {
  if (!options.hasFilter()) return {};
  const filter = options.getFilter()!;
  const on: 'streamName' | 'eventType' = filter.hasStreamIdentifier() ? 'streamName' : 'eventType';
  const expression = filter.hasStreamIdentifier() ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) return {};
  const prefixes = expression.getPrefixList();
  if (prefixes.length > 0) return { backing: { on, prefixes } };
  const regex = expression.getRegex();
  if (regex === '') return {};
  const pattern = new RegExp(regex);
  return { predicate: (event) => pattern.test(on === 'streamName' ? event.streamName : event.type) };
}

// ---- service -----------------------------------------------------------------------------------------------------

interface Stalls {
  readonly kinds: Set<EsdbStallKind>;
  /** Stalled calls, cancelled when the server closes. */
  readonly calls: Set<{ cancel(): void }>;
}

/** True (and the call is parked, never answered) when `kind` is stalled. */
function stalled(
  stalls: Stalls,
  kind: EsdbStallKind,
  call: {
    destroyed?: boolean;
    destroy?(): void;
    cancelled?: boolean;
    on(event: 'close' | 'cancelled', listener: () => void): unknown;
  },
): boolean {
  if (!stalls.kinds.has(kind)) return false;
  const handle = {
    cancel: () => {
      stalls.calls.delete(handle);
      if (call.destroy && !call.destroyed) call.destroy();
    },
  };
  stalls.calls.add(handle);
  call.on('cancelled', () => stalls.calls.delete(handle));
  call.on('close', () => stalls.calls.delete(handle));
  return true;
}

function createHandlers(backing: StreamStore, openCalls: Set<{ cancel(): void }>, stalls: Stalls) {
  return {
    read(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
      const options = call.request.getOptions();
      if (!options) {
        call.emit('error', statusError(grpc.status.INVALID_ARGUMENT, 'read options are required'));
        return;
      }
      if (stalled(stalls, options.hasSubscription() ? 'subscribe' : 'read', call)) return;
      let cancelled = false;
      let subscription: StoreSubscription | undefined;
      const handle = {
        cancel: () => {
          cancelled = true;
          void subscription?.close();
          if (!call.destroyed) call.destroy();
        },
      };
      openCalls.add(handle);
      call.on('cancelled', () => {
        cancelled = true;
        void subscription?.close();
      });
      call.on('close', () => openCalls.delete(handle));
      const fail = (error: unknown) => {
        if (cancelled || call.destroyed) return;
        call.emit('error', toStatusErrorOrSelf(error));
      };

      if (options.hasSubscription()) {
        const confirmation = new pb.ReadResp.SubscriptionConfirmation();
        confirmation.setSubscriptionId(randomUUID());
        const first = new pb.ReadResp();
        first.setConfirmation(confirmation);
        call.write(first);
        const handlers = {
          onEvent: async (event: RecordedEvent) => {
            if (predicate && !predicate(event)) return;
            await write(call, toReadResp(event));
          },
          onLive: () => {
            const resp = new pb.ReadResp();
            resp.setCaughtUp(new pb.ReadResp.CaughtUp());
            void write(call, resp);
          },
          onDropped: (error: { reason: string; cause?: unknown }) => {
            if (cancelled) return;
            if (error.cause instanceof StreamDeletedError) fail(error.cause);
            else fail(statusError(grpc.status.UNAVAILABLE, `subscription dropped (${error.reason})`));
          },
        };
        let predicate: EventPredicate | undefined;
        try {
          if (options.hasStream()) {
            const streamOptions = options.getStream()!;
            const name = streamNameOf(streamOptions.getStreamIdentifier());
            const after = streamOptions.hasRevision()
              ? Number(streamOptions.getRevision())
              : streamOptions.hasEnd()
                ? 'end'
                : 'start';
            subscription = backing.subscribeToStream(name, { after }, handlers);
          } else {
            const allOptions = options.getAll()!;
            const after = allOptions.hasPosition()
              ? BigInt(allOptions.getPosition()!.getCommitPosition())
              : allOptions.hasEnd()
                ? 'end'
                : 'start';
            const filter = readFilter(options);
            predicate = filter.predicate;
            subscription = backing.subscribeToAll(
              { after, ...(filter.backing ? { filter: filter.backing } : {}) },
              handlers,
            );
          }
        } catch (error) {
          fail(error);
        }
        return;
      }

      const maxCount = options.hasCount()
        ? Math.min(Number(options.getCount()), Number.MAX_SAFE_INTEGER)
        : Number.MAX_SAFE_INTEGER;
      const direction =
        options.getReadDirection() === pb.ReadReq.Options.ReadDirection.BACKWARDS ? 'backwards' : 'forwards';
      const run = options.hasStream()
        ? readStream(options.getStream()!, direction, maxCount)
        : readAll(options, direction, maxCount);
      run.then(
        () => {
          if (!cancelled && !call.destroyed) call.end();
        },
        (error) => fail(error),
      );

      async function readStream(
        streamOptions: InstanceType<typeof pb.ReadReq.Options.StreamOptions>,
        dir: 'forwards' | 'backwards',
        count: number,
      ) {
        const name = streamNameOf(streamOptions.getStreamIdentifier());
        let from: number | 'start' | 'end' = streamOptions.hasRevision()
          ? Number(streamOptions.getRevision())
          : streamOptions.hasEnd()
            ? 'end'
            : 'start';
        let remaining = count;
        for (;;) {
          const slice = await backing.readStream(name, {
            direction: dir,
            fromRevision: from,
            maxCount: Math.min(remaining, PAGE),
          });
          if (slice.status === 'deleted') throw new StreamDeletedError(name);
          if (slice.status === 'not_found') {
            const notFound = new pb.ReadResp.StreamNotFound();
            notFound.setStreamIdentifier(streamIdentifier(name));
            const resp = new pb.ReadResp();
            resp.setStreamNotFound(notFound);
            await write(call, resp);
            return;
          }
          for (const event of slice.events) {
            if (cancelled || !(await write(call, toReadResp(event)))) return;
          }
          remaining -= slice.events.length;
          const last = slice.events[slice.events.length - 1];
          if (slice.isEndOfStream || remaining <= 0 || !last) return;
          from = dir === 'forwards' ? last.revision + 1 : last.revision - 1;
          if (from < 0) return;
        }
      }

      async function readAll(
        allRequest: InstanceType<typeof pb.ReadReq.Options>,
        dir: 'forwards' | 'backwards',
        count: number,
      ) {
        const allOptions = allRequest.getAll()!;
        const filter = readFilter(allRequest);
        let after: bigint | 'start' | 'end';
        if (allOptions.hasPosition()) {
          const position = BigInt(allOptions.getPosition()!.getCommitPosition());
          // Forwards the server returns events at positions >= the given one (inclusive); backwards, < it.
          after = dir === 'forwards' ? (position === 0n ? 'start' : position - 1n) : position;
        } else {
          after = allOptions.hasEnd() ? 'end' : 'start';
        }
        let remaining = count;
        for (;;) {
          const slice = await backing.readAll({
            direction: dir,
            after,
            maxCount: Math.min(remaining, PAGE),
            ...(filter.backing ? { filter: filter.backing } : {}),
          });
          for (const event of slice.events) {
            if (filter.predicate && !filter.predicate(event)) continue;
            if (cancelled || !(await write(call, toReadResp(event)))) return;
          }
          remaining -= slice.events.length;
          const last = slice.events[slice.events.length - 1];
          if (slice.isEnd || remaining <= 0 || !last) return;
          after = last.position;
        }
      }
    },

    append(
      call: grpc.ServerReadableStream<AppendReq, AppendResp>,
      callback: grpc.sendUnaryData<AppendResp>,
    ): void {
      let streamName: string | undefined;
      let expected: ExpectedVersion | undefined;
      const events: EventData[] = [];
      let failed: StatusError | undefined;
      if (stalled(stalls, 'append', call)) {
        call.on('data', () => undefined);
        call.on('error', () => undefined);
        return;
      }
      call.on('data', (request: AppendReq) => {
        if (failed) return;
        try {
          if (request.hasOptions()) {
            const options = request.getOptions()!;
            streamName = streamNameOf(options.getStreamIdentifier());
            expected = readExpected(options);
            return;
          }
          const message = request.getProposedMessage();
          if (!message || streamName === undefined)
            throw statusError(grpc.status.INVALID_ARGUMENT, 'options must come first');
          const map = message.getMetadataMap();
          const contentType = map.get('content-type');
          if (contentType !== 'application/json') {
            throw statusError(
              grpc.status.INVALID_ARGUMENT,
              `the test server stores JSON events only, got content-type ${contentType}`,
            );
          }
          events.push({
            eventId: uuidToString(message.getId()),
            type: map.get('type') ?? '',
            data: Buffer.from(message.getData_asU8()).toString('utf8'),
            metadata: Buffer.from(message.getCustomMetadata_asU8()).toString('utf8'),
          });
        } catch (error) {
          failed = toStatusErrorOrSelf(error);
        }
      });
      call.on('error', () => undefined);
      call.on('end', () => {
        if (failed) return callback(failed);
        if (streamName === undefined || expected === undefined) {
          return callback(statusError(grpc.status.INVALID_ARGUMENT, 'append options are required'));
        }
        const name = streamName;
        const expectedVersion = expected;
        backing.appendToStream(name, expectedVersion, events).then(
          (result) => {
            const success = new pb.AppendResp.Success();
            if (result.nextExpectedVersion < 0) success.setNoStream(new shared.Empty());
            else success.setCurrentRevision(String(result.nextExpectedVersion));
            const position = new pb.AppendResp.Position();
            position.setCommitPosition(result.position.toString());
            position.setPreparePosition(result.position.toString());
            success.setPosition(position);
            const resp = new pb.AppendResp();
            resp.setSuccess(success);
            callback(null, resp);
          },
          (error: unknown) => {
            if (error instanceof WrongExpectedVersionError) {
              const wrong = new pb.AppendResp.WrongExpectedVersion();
              if (error.actual === 'no_stream') wrong.setCurrentNoStream(new shared.Empty());
              else wrong.setCurrentRevision(String(error.actual));
              if (expectedVersion === ExpectedVersion.Any) wrong.setExpectedAny(new shared.Empty());
              else if (expectedVersion === ExpectedVersion.NoStream)
                wrong.setExpectedNoStream(new shared.Empty());
              else if (expectedVersion === ExpectedVersion.StreamExists)
                wrong.setExpectedStreamExists(new shared.Empty());
              else wrong.setExpectedRevision(String(expectedVersion));
              const resp = new pb.AppendResp();
              resp.setWrongExpectedVersion(wrong);
              callback(null, resp);
              return;
            }
            callback(toStatusError(error));
          },
        );
      });
    },

    delete(
      call: grpc.ServerUnaryCall<DeleteReq, DeleteResp>,
      callback: grpc.sendUnaryData<DeleteResp>,
    ): void {
      if (stalled(stalls, 'delete', call)) return;
      removeStream(call.request.getOptions(), (name, expected) => backing.deleteStream(name, expected)).then(
        () => {
          const resp = new pb.DeleteResp();
          resp.setNoPosition(new shared.Empty());
          callback(null, resp);
        },
        (error) => callback(toStatusErrorOrSelf(error)),
      );
    },

    tombstone(
      call: grpc.ServerUnaryCall<TombstoneReq, TombstoneResp>,
      callback: grpc.sendUnaryData<TombstoneResp>,
    ): void {
      if (stalled(stalls, 'delete', call)) return;
      removeStream(call.request.getOptions(), (name, expected) =>
        backing.tombstoneStream(name, expected),
      ).then(
        () => {
          const resp = new pb.TombstoneResp();
          resp.setNoPosition(new shared.Empty());
          callback(null, resp);
        },
        (error) => callback(toStatusErrorOrSelf(error)),
      );
    },

    batchAppend(call: grpc.ServerDuplexStream<unknown, unknown>): void {
      call.emit(
        'error',
        statusError(grpc.status.UNIMPLEMENTED, 'BatchAppend is not modelled by the test server'),
      );
    },
  };
}

async function removeStream(
  options:
    | (Parameters<typeof readExpected>[0] & {
        getStreamIdentifier(): InstanceType<typeof shared.StreamIdentifier> | undefined;
      })
    | undefined,
  remove: (name: string, expected: ExpectedVersion) => Promise<void>,
): Promise<void> {
  if (!options) throw statusError(grpc.status.INVALID_ARGUMENT, 'options are required');
  await remove(streamNameOf(options.getStreamIdentifier()), readExpected(options));
}

function toStatusErrorOrSelf(error: unknown): StatusError {
  if (typeof (error as { code?: unknown })?.code === 'number') return error as StatusError;
  return toStatusError(error);
}
