/**
 * A scriptable {@link EsdbClientPort} for unit tests of EventStoreDBStreamStore: server semantics where the store
 * depends on them (`$all` forward reads inclusive of the start position, backward reads exclusive; `$` system events
 * present in `$all`), and live subscriptions the test drives by hand (push, end, fail).
 */
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
} from '../../../src/adapters/eventstoredb/esdb-client-port';

/** A live subscription the test controls. */
export class FakeLiveSubscription implements EsdbClientSubscription {
  private readonly queue: (EsdbRecordedEvent | { end: true } | { error: unknown })[] = [];
  private wake: (() => void) | undefined;
  private resolveConfirmed!: () => void;
  readonly confirmed = new Promise<void>((resolve) => (this.resolveConfirmed = resolve));
  unsubscribed = false;

  constructor(
    readonly from: EsdbRevisionPoint | EsdbPositionPoint,
    readonly filter?: EsdbServerFilter,
    autoConfirm = true,
  ) {
    if (autoConfirm) this.confirm();
  }

  /** The server's confirmation arrives. */
  confirm(): void {
    this.resolveConfirmed();
  }

  push(event: EsdbRecordedEvent): void {
    this.queue.push(event);
    this.wake?.();
  }

  end(): void {
    this.queue.push({ end: true });
    this.wake?.();
  }

  fail(error: unknown): void {
    this.queue.push({ error });
    this.wake?.();
  }

  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EsdbRecordedEvent> {
    for (;;) {
      const next = this.queue.shift();
      if (next === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      if ('end' in next) return;
      if ('error' in next) throw next.error;
      yield next;
    }
  }
}

let created = 0;

/** A recorded event; `position` defaults to 100 * (n + 1) with gaps, like a real log. */
export function recorded(
  streamName: string,
  revision: bigint,
  position: bigint | undefined,
  type = 'Evt',
): EsdbRecordedEvent {
  created++;
  return {
    streamName,
    revision,
    position,
    id: `00000000-0000-4000-8000-${String(created).padStart(12, '0')}`,
    type,
    data: '{}',
    metadata: '',
    created: new Date(0),
  };
}

export class FakeEsdbClient implements EsdbClientPort {
  readonly clientName = 'fake';
  /** `$all` in log order, system events included. */
  readonly all: EsdbRecordedEvent[] = [];
  readonly liveSubscriptions: FakeLiveSubscription[] = [];
  readonly readAllCalls: EsdbReadAllOptions[] = [];
  disposed = 0;
  /** When false, live subscriptions wait for the test to call `confirm()` (a server that never confirms). */
  confirmSubscriptions = true;
  /** When true, every call hangs like a peer that accepts TCP and never answers (and ignores cancellation). */
  blackHole = false;
  /** Signals the store passed with its calls, to check that a deadline aborts them. */
  readonly signals: AbortSignal[] = [];
  /** Errors to throw from the next deleteStream calls, in order. */
  readonly deleteFailures: unknown[] = [];
  readonly deleteCalls: EsdbExpectedState[] = [];

  add(streamName: string, type = 'Evt', revision?: bigint): EsdbRecordedEvent {
    const last = this.all.filter((e) => e.streamName === streamName).pop();
    const event = recorded(
      streamName,
      revision ?? (last ? last.revision + 1n : 0n),
      BigInt(this.all.length + 1) * 100n,
      type,
    );
    this.all.push(event);
    return event;
  }

  async append(
    _streamName: string,
    _expected: EsdbExpectedState,
    _events: readonly EsdbProposedEvent[],
    options?: EsdbCallOptions,
  ): Promise<EsdbAppendResult> {
    await this.call(options);
    throw new Error('not scripted');
  }

  async *readStream(streamName: string, options: EsdbReadStreamOptions): AsyncIterable<EsdbRecordedEvent> {
    await this.call(options);
    let events = this.all.filter((e) => e.streamName === streamName);
    if (events.length === 0)
      throw Object.assign(new Error(`${streamName} not found`), { type: 'stream-not-found' });
    if (options.direction === 'backwards') {
      events = events.reverse();
      if (typeof options.from === 'bigint')
        events = events.filter((e) => e.revision <= (options.from as bigint));
    } else if (typeof options.from === 'bigint')
      events = events.filter((e) => e.revision >= (options.from as bigint));
    else if (options.from === 'end') events = [];
    yield* events.slice(0, options.maxCount);
  }

  async *readAll(options: EsdbReadAllOptions): AsyncIterable<EsdbRecordedEvent> {
    this.readAllCalls.push(options);
    await this.call(options);
    const { from } = options;
    let events: EsdbRecordedEvent[];
    if (options.direction === 'forwards') {
      // EventStoreDB: forwards INCLUDES the event at the position.
      events =
        from === 'start' ? this.all : from === 'end' ? [] : this.all.filter((e) => e.position! >= from);
    } else {
      // ...backwards returns only events strictly before it.
      events = (
        from === 'end' ? this.all : from === 'start' ? [] : this.all.filter((e) => e.position! < from)
      )
        .slice()
        .reverse();
    }
    yield* events.slice(0, options.maxCount);
  }

  subscribeToStream(_streamName: string, from: EsdbRevisionPoint): EsdbClientSubscription {
    const subscription = new FakeLiveSubscription(from, undefined, this.confirmSubscriptions);
    this.liveSubscriptions.push(subscription);
    return subscription;
  }

  subscribeToAll(from: EsdbPositionPoint, filter: EsdbServerFilter | undefined): EsdbClientSubscription {
    const subscription = new FakeLiveSubscription(from, filter, this.confirmSubscriptions);
    this.liveSubscriptions.push(subscription);
    return subscription;
  }

  async deleteStream(
    _streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options?: EsdbCallOptions,
  ): Promise<void> {
    this.deleteCalls.push(expected);
    await this.call(options);
    const failure = this.deleteFailures.shift();
    if (failure) throw failure;
  }

  async tombstoneStream(
    _streamName: string,
    _expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options?: EsdbCallOptions,
  ): Promise<void> {
    await this.call(options);
    throw new Error('not scripted');
  }

  /** Records the call's signal; in black-hole mode never returns. */
  private async call(options: EsdbCallOptions | undefined): Promise<void> {
    if (options?.signal) this.signals.push(options.signal);
    if (this.blackHole) await new Promise<never>(() => undefined);
  }

  async dispose(): Promise<void> {
    this.disposed++;
  }
}
