import type {
  EsdbCallOptions,
  EsdbClientSubscription,
  EsdbPositionPoint,
  EsdbProposedEvent,
  EsdbRecordedEvent,
} from './esdb-client-port';
import { InvalidArgumentError } from '../../core/reactive-domain.error';
import { UnexpectedServerResponseError } from './eventstoredb.errors';

/**
 * The shape of a recorded event as BOTH client packages return it (their types differ only nominally). The
 * clients JSON-parse `data` when the event's content type is JSON and JSON-parse `metadata` when it parses,
 * falling back to the raw bytes otherwise.
 */
export interface ClientRecordedEventShape {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: unknown;
  readonly isJson: boolean;
  readonly created: Date;
  readonly position?: { readonly commit: bigint; readonly prepare: bigint } | undefined;
}

/** A resolved event as both client packages return it; links are never resolved by this adapter. */
export interface ClientResolvedEventShape {
  readonly event?: ClientRecordedEventShape | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function bytesToText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * Converts a client's recorded event to the port's shape.
 *
 * Cost, measured by reading the clients' code: both clients `JSON.parse` the payload of a JSON event while
 * decoding it, so recovering the JSON text costs one `JSON.stringify` here. The text is therefore the
 * canonical form of what was written (whitespace dropped, numbers normalised — integers beyond 2^53 lose
 * precision, integer-like keys move first), not a byte copy. A top-level JSON *string* payload is
 * indistinguishable from a payload the client failed to parse; this adapter never writes unparseable JSON.
 */
export function toEsdbRecordedEvent(resolved: ClientResolvedEventShape): EsdbRecordedEvent {
  const event = resolved.event;
  if (event === undefined) {
    throw new UnexpectedServerResponseError('EventStoreDB returned a resolved event without an event record');
  }
  const data = event.isJson
    ? JSON.stringify(event.data)
    : event.data instanceof Uint8Array
      ? bytesToText(event.data)
      : String(event.data);
  let metadata: string;
  if (event.metadata === undefined || event.metadata === null) metadata = '';
  else if (event.metadata instanceof Uint8Array) metadata = bytesToText(event.metadata);
  else metadata = JSON.stringify(event.metadata);
  return {
    streamName: event.streamId,
    revision: event.revision,
    position: event.position?.commit,
    id: event.id,
    type: event.type,
    data,
    metadata,
    created: event.created,
  };
}

/**
 * The payload and metadata in the form the clients' `jsonEvent` accepts. The clients only accept a JSON *value*
 * for a JSON event and `JSON.stringify` it themselves (see their `append.js`), so the text is parsed once here —
 * one parse + one stringify per event, the documented cost of keeping the JSON content type (which server-side
 * projections and the UI rely on). Metadata needs no round trip: a `Uint8Array` is sent as raw bytes.
 */
export function toClientJsonEvent(event: EsdbProposedEvent): {
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Uint8Array | undefined;
} {
  return {
    id: event.id,
    type: event.type,
    // The clients' JSONType excludes top-level numbers/booleans/null, but JSON.stringify handles them.
    data: parseJsonData(event) as Record<string, unknown>,
    metadata: event.metadata === '' ? undefined : Buffer.from(event.metadata, 'utf8'),
  };
}

function parseJsonData(event: EsdbProposedEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch (error) {
    throw new InvalidArgumentError(
      `Event ${event.id} (${event.type}): data is not valid JSON and cannot be written as a JSON event: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Converts a client read (esdb: a Node `Readable`; kurrent: an async generator) to the port's events.
 *
 * When the consumer stops early, the rest of the read is drained in the background instead of abandoning it: the
 * esdb client keeps every call in a set that its `dispose()` waits on, and a gRPC call whose remaining messages were
 * never consumed never finishes — `dispose()` would hang. Reads always carry a `maxCount`, so draining is bounded.
 *
 * When `signal` aborts (the store's deadline passed, or it is closing), the read is cancelled where the client allows
 * it (the esdb `ReadStream`'s `cancel()` cancels the gRPC call; destroying it ends a pending iteration) and not
 * drained. Kurrent's native reads cannot be cancelled from JavaScript: they end when the client is disposed.
 */
export async function* convertClientRead(
  source: AsyncIterable<ClientResolvedEventShape>,
  signal?: AbortSignal,
): AsyncGenerator<EsdbRecordedEvent> {
  const iterator = source[Symbol.asyncIterator]();
  let settled = false;
  const cancel = (): void => {
    const call = source as Partial<{ cancel(): Promise<void>; destroy(error?: Error): unknown }>;
    if (typeof call.cancel === 'function') call.cancel().catch(() => undefined);
    if (typeof call.destroy === 'function') call.destroy();
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      let next: IteratorResult<ClientResolvedEventShape>;
      try {
        next = await iterator.next();
      } catch (error) {
        settled = true;
        throw error;
      }
      if (next.done) {
        settled = true;
        return;
      }
      yield toEsdbRecordedEvent(next.value);
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    if (!settled && !signal?.aborted) void drain(iterator);
  }
}

async function drain(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    while (!(await iterator.next()).done) {
      // discard
    }
  } catch {
    // The read was abandoned: its failure concerns nobody any more.
  }
}

/** The subscription object both clients return: a Node stream of resolved events with `unsubscribe()`. */
export interface ClientSubscriptionShape extends AsyncIterable<ClientResolvedEventShape> {
  unsubscribe(): Promise<void>;
  destroy(error?: Error): unknown;
  once(event: 'confirmation', listener: () => void): unknown;
}

/**
 * Wraps a client subscription as the port's async iterable. After `unsubscribe()` the iteration ends quietly
 * (the client cancels the gRPC call; the cancellation is not an error); any other failure is thrown to the
 * consumer, and an end of the call by the server ends the iteration (the store reports that as a drop).
 */
export function wrapClientSubscription(subscription: ClientSubscriptionShape): EsdbClientSubscription {
  let unsubscribed = false;
  let unsubscribing: Promise<void> | undefined;
  // Both clients emit 'confirmation' when the server's SubscriptionConfirmation message arrives.
  const confirmed = new Promise<void>((resolve) => subscription.once('confirmation', resolve));
  return {
    confirmed,
    async *[Symbol.asyncIterator]() {
      try {
        for await (const resolved of subscription) {
          if (unsubscribed) return;
          yield toEsdbRecordedEvent(resolved);
        }
      } catch (error) {
        if (unsubscribed) return;
        throw error;
      }
    },
    unsubscribe() {
      if (unsubscribing) return unsubscribing;
      unsubscribed = true;
      unsubscribing = (async () => {
        try {
          await subscription.unsubscribe();
        } finally {
          // The client pipes the gRPC call into this Transform and a client-side cancel does not end it:
          // destroy it so a pending `for await` settles.
          subscription.destroy();
        }
      })();
      return unsubscribing;
    },
  };
}

/** A read position as both packages take it: `'start'`, `'end'` or `{ commit, prepare }`. */
export type ClientReadPosition = 'start' | 'end' | { readonly commit: bigint; readonly prepare: bigint };

/** Our position (a commit position) as the packages' read position. */
export function toClientReadPosition(point: EsdbPositionPoint): ClientReadPosition {
  // gRPC appends are committed implicitly: the server reports commit == prepare for every event.
  return point === 'start' || point === 'end' ? point : { commit: point, prepare: point };
}

/**
 * Added to the store's deadline for the clients' own: the store's timer fires first and its typed error (naming the
 * operation) is what the caller sees, while the client's deadline stays a backstop the server also learns of.
 */
const CLIENT_DEADLINE_GRACE_MS = 1_000;

/**
 * The clients' per-call `deadline` option from the store's deadline, for the unary calls (append, delete,
 * tombstone) where the clients honour it: the server then learns it too (gRPC `grpc-timeout`) and abandons work
 * nobody waits for. Reads ignore it (the esdb client forces `deadline: Infinity` on reads); the store's own timer
 * covers them.
 */
export function clientDeadline(options: EsdbCallOptions): { deadline?: number } {
  return options.deadlineMs === undefined ? {} : { deadline: options.deadlineMs + CLIENT_DEADLINE_GRACE_MS };
}
