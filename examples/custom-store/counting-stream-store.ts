// A third-party stream store that wraps another one: it counts the calls it passes on (say, for metrics). Anything
// that implements `StreamStore` must keep EventStoreDB's semantics; the contract suite checks it does.
import type {
  AppendResult,
  ExpectedVersion,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from 'reactive-domain';

export class CountingStreamStore implements StreamStore {
  /** Calls passed on, by operation. */
  readonly calls = { append: 0, read: 0, subscribe: 0, delete: 0 };

  constructor(private readonly inner: StreamStore) {}

  appendToStream(
    stream: string,
    expected: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    this.calls.append++;
    return this.inner.appendToStream(stream, expected, events);
  }
  readStream(stream: string, options?: ReadStreamOptions) {
    this.calls.read++;
    return this.inner.readStream(stream, options);
  }
  readAll(options?: ReadAllOptions) {
    this.calls.read++;
    return this.inner.readAll(options);
  }
  subscribeToStream(
    stream: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    this.calls.subscribe++;
    return this.inner.subscribeToStream(stream, options, handlers);
  }
  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    this.calls.subscribe++;
    return this.inner.subscribeToAll(options, handlers);
  }
  deleteStream(stream: string, expected: ExpectedVersion): Promise<void> {
    this.calls.delete++;
    return this.inner.deleteStream(stream, expected);
  }
  tombstoneStream(stream: string, expected: ExpectedVersion): Promise<void> {
    this.calls.delete++;
    return this.inner.tombstoneStream(stream, expected);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
