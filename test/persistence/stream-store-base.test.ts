import { InvalidArgumentError } from '../../src/core/reactive-domain.error';
import {
  ChangeSignal,
  ExpectedVersion,
  InMemoryStreamStore,
  StoreUnavailableError,
  StreamStoreBase,
  SubscriptionDroppedError,
  type AllPageRequest,
  type AllSlice,
  type AppendResult,
  type ReadStreamResult,
} from '../../src/persistence';
import {
  SubscriptionRecorder as Recorder,
  eventually,
  sampleEvents as events,
} from '../../src/testing/contracts';

/** The shared checks of StreamStoreBase, seen through the in-memory store (every store inherits them). */
describe('StreamStoreBase: one set of argument checks for every store', () => {
  let store: InMemoryStreamStore;
  beforeEach(() => {
    store = new InMemoryStreamStore();
  });
  afterEach(() => store.close());

  it('treats null options as absent', async () => {
    await store.appendToStream('s-1', ExpectedVersion.NoStream, events(2));
    const read = await store.readStream('s-1', null);
    expect(read.status === 'ok' && read.events.map((e) => e.revision)).toEqual([0, 1]);
    expect((await store.readAll(null)).events).toHaveLength(2);
    const recorder = new Recorder();
    store.subscribeToStream('s-1', null, recorder.handlers());
    store.subscribeToAll(null, new Recorder().handlers());
    await recorder.waitForLog(3);
  });

  it.each([
    ['a NUL character', 'order\u0000-1'],
    ['a lone high surrogate', 'order-\ud800'],
    ['a lone low surrogate', 'order-\udc00x'],
  ])('refuses a stream name with %s, naming it', async (_, name) => {
    const append = store.appendToStream(name, ExpectedVersion.Any, events(1));
    await expect(append).rejects.toThrow(InvalidArgumentError);
    await expect(append).rejects.toThrow(/NUL character or a lone surrogate/);
    expect((await store.readAll()).events).toEqual([]);
  });

  it('accepts a name with a well-formed surrogate pair', async () => {
    await store.appendToStream('order-😀', ExpectedVersion.NoStream, events(1));
    expect((await store.readStream('order-😀')).status).toBe('ok');
  });

  it.each(['$ce-order', '$et-OrderPlaced'])(
    'refuses to append to, delete or read the system projection stream %s',
    async (name) => {
      await expect(store.appendToStream(name, ExpectedVersion.Any, events(1))).rejects.toThrow(
        /system projection stream/,
      );
      await expect(store.deleteStream(name, ExpectedVersion.Any)).rejects.toThrow(InvalidArgumentError);
      await expect(store.readStream(name)).rejects.toThrow(/categoryFilter/);
      expect((await store.readAll()).events).toEqual([]);
    },
  );
});

/** A store whose reads can be made to fail: shows that the shared subscription reports read errors as drops. */
class FlakyStore extends StreamStoreBase {
  readonly memory = new InMemoryStreamStore();
  failReads: Error | undefined;

  constructor(pollIntervalMs?: number) {
    super({ name: 'FlakyStore', pollIntervalMs });
  }
  protected appendEvents(...args: Parameters<InMemoryStreamStore['appendToStream']>): Promise<AppendResult> {
    return this.memory.appendToStream(...args);
  }
  protected readStreamPage(name: string, request: Parameters<InMemoryStreamStore['readStream']>[1]) {
    return this.memory.readStream(name, request) as Promise<ReadStreamResult>;
  }
  protected async readAllPage(request: AllPageRequest): Promise<AllSlice> {
    if (this.failReads) throw this.failReads;
    return this.memory.readAll(request);
  }
  protected removeStream(name: string, expected: ExpectedVersion, mode: 'soft' | 'tombstone'): Promise<void> {
    return mode === 'soft'
      ? this.memory.deleteStream(name, expected)
      : this.memory.tombstoneStream(name, expected);
  }
  protected closeStorage(): Promise<void> {
    return this.memory.close();
  }
  /** An append made behind the store's back (another process): only polling can see it. */
  appendElsewhere(stream: string): Promise<AppendResult> {
    return this.memory.appendToStream(stream, ExpectedVersion.Any, events(1));
  }
}

describe('the shared catch-up subscription', () => {
  it('reports a failing read as a drop (connection_lost for StoreUnavailableError), never silently', async () => {
    const store = new FlakyStore();
    const recorder = new Recorder((e) => e.streamName);
    store.subscribeToAll({}, recorder.handlers());
    await recorder.waitForLog(1);
    store.failReads = new StoreUnavailableError('network down');
    await store.appendToStream('s-1', ExpectedVersion.Any, events(1));
    await eventually(() => recorder.drops.length === 1, 'the drop');
    expect(recorder.drops[0]).toBeInstanceOf(SubscriptionDroppedError);
    expect(recorder.drops[0]).toMatchObject({ reason: 'connection_lost', cause: store.failReads });
    expect(store.subscriptionCount).toBe(0);
    await store.close();
  });

  it('sees appends made by another process by polling, when pollIntervalMs is set', async () => {
    const store = new FlakyStore(10);
    const recorder = new Recorder((e) => e.streamName);
    store.subscribeToAll({}, recorder.handlers());
    await recorder.waitForLog(1);
    await store.appendElsewhere('elsewhere-1');
    await recorder.waitForLog(2);
    expect(recorder.log).toEqual(['live', 'elsewhere-1']);
    await store.close();
  });

  it('refuses a pollIntervalMs that is not a positive number', () => {
    expect(() => new FlakyStore(0)).toThrow(/pollIntervalMs must be a positive number/);
  });
});

describe('ChangeSignal', () => {
  /** Whether `promise` has settled once the pending callbacks have run (no timer involved). */
  async function state(promise: Promise<unknown>): Promise<'settled' | 'pending'> {
    return Promise.race([
      promise.then(() => 'settled' as const),
      new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending'))),
    ]);
  }

  it('does not lose a notification made between the read and the wait', async () => {
    const signal = new ChangeSignal();
    const seen = signal.version;
    signal.notify(); // e.g. an append committed while the subscription was reading
    expect(signal.version).toBe(seen + 1);
    // Resolves at once instead of waiting for the next append.
    expect(await state(signal.wait(seen, undefined))).toBe('settled');
  });

  it('wakes waiters on notify, on timeout and on abort', async () => {
    const signal = new ChangeSignal();
    const woken = signal.wait(signal.version, undefined);
    expect(await state(woken)).toBe('pending');
    signal.notify();
    expect(await state(woken)).toBe('settled');
    const timedOut = signal.wait(signal.version, 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await state(timedOut)).toBe('settled');
    const abort = new AbortController();
    const aborted = signal.wait(signal.version, undefined, abort.signal);
    expect(await state(aborted)).toBe('pending');
    abort.abort();
    expect(await state(aborted)).toBe('settled');
  });
});
