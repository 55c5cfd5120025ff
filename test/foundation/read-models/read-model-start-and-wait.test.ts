import { InvalidArgumentError, type ReactiveDomainError } from '../../../src/core';
import {
  CheckpointPastEndError,
  CheckpointStoreError,
  InMemoryCheckpointStore,
  ListenerSources,
  ListenerStoppedError,
  ReadModelNotStartedError,
  ReadModelWaitAbortedError,
  ReadModelWaitTimeoutError,
  allCheckpoint,
  sourceKeyOf,
  streamCheckpoint,
  type CheckpointStore,
  type EventContext,
} from '../../../src/foundation';
import type { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import {
  Balances,
  Deposited,
  DepositedV2,
  Noted,
  append,
  appendDeposits,
  eventually,
  newStore,
  serializer,
  triangle,
} from '../subscriptions/fixtures';

const stream1 = ListenerSources.stream('account-1');
const category = ListenerSources.category('account');

async function appendOne(store: FaultyStreamStore, stream: string, event: object): Promise<bigint> {
  return (await store.appendToStream(stream, 'any', [serializer.serialize(event)])).position;
}

describe('ReadModelBase start failures', () => {
  let store: FaultyStreamStore;
  beforeEach(() => {
    store = newStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('a start rejected for a checkpoint of the wrong kind does not make whenLive() reject for good', async () => {
    await appendDeposits(store, 'account-1', 3);
    await appendDeposits(store, 'account-2', 4);
    const checkpoints = new InMemoryCheckpointStore();
    await checkpoints.save('balances', sourceKeyOf(stream1), allCheckpoint(5n)); // a stream takes a revision
    const model = new Balances({ store, checkpoints });
    await expect(model.start(stream1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(model.whenLive()).resolves.toBeUndefined(); // nothing is started
    await model.start(ListenerSources.stream('account-2')); // a later successful start re-arms liveness
    await expect(model.whenLive()).resolves.toBeUndefined();
    expect(model.total('account-2')).toBe(triangle(4));
    expect(model.total('account-1')).toBe(0);
    await model.stop();
  });

  it('a checkpoint store whose load fails once: the next start succeeds and whenLive() resolves', async () => {
    await appendDeposits(store, 'account-1', 5);
    const inner = new InMemoryCheckpointStore();
    await inner.save('balances', sourceKeyOf(stream1), streamCheckpoint(1));
    let failures = 1;
    const flaky: CheckpointStore = {
      load: async (model) => {
        if (failures-- > 0) throw new Error('connection reset');
        return inner.load(model);
      },
      save: (model, key, checkpoint) => inner.save(model, key, checkpoint),
      delete: (model) => inner.delete(model),
    };
    const model = new Balances({ store, checkpoints: flaky });
    await expect(model.start(stream1)).rejects.toBeInstanceOf(CheckpointStoreError);
    await model.start(stream1);
    await model.whenLive();
    expect(model.seen).toEqual(['account-1@2', 'account-1@3', 'account-1@4']);
    await model.stop();
  });

  it('a stream checkpoint past the end of the stream is refused loudly instead of silently skipping', async () => {
    await appendDeposits(store, 'account-1', 3);
    const checkpoints = new InMemoryCheckpointStore();
    await checkpoints.save('balances', sourceKeyOf(stream1), streamCheckpoint(10));
    const errors: ReactiveDomainError[] = [];
    const model = new Balances({ store, checkpoints, onError: (e) => errors.push(e) });
    const failure = await model.start(stream1).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CheckpointPastEndError);
    expect((failure as CheckpointPastEndError).checkpoint).toEqual(streamCheckpoint(10));
    expect((failure as CheckpointPastEndError).end).toEqual(streamCheckpoint(2));
    expect((failure as Error).message).toMatch(
      /balances.*stream:account-1.*revision 10.*past the end.*revision 2/,
    );
    expect(errors).toEqual([failure]);
    expect(model.status).toBe('idle'); // not live: nothing was skipped

    // rebuild() forgets the checkpoints and starts over on the source that was refused.
    await model.rebuild({ countTotal: false });
    expect(model.status).toBe('live');
    expect(model.total('account-1')).toBe(triangle(3));
    expect(await checkpoints.load('balances')).toEqual(
      new Map([[sourceKeyOf(stream1), streamCheckpoint(2)]]),
    );
    await model.stop();
  });

  it('an $all checkpoint past the end of $all (a wiped store) is refused', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await checkpoints.save('balances', sourceKeyOf(category), allCheckpoint(4096n));
    const model = new Balances({ store, checkpoints, onError: () => undefined });
    await expect(model.start(category)).rejects.toBeInstanceOf(CheckpointPastEndError);
    await append(store, 'account-1', new Deposited('account-1', 1));
    await expect(model.start(category)).rejects.toBeInstanceOf(CheckpointPastEndError); // still past the end
    expect(model.status).toBe('idle');
  });

  it('a checkpoint at the end is fine: the model goes live with nothing to replay', async () => {
    await appendDeposits(store, 'account-1', 3);
    const checkpoints = new InMemoryCheckpointStore();
    await checkpoints.save('balances', sourceKeyOf(stream1), streamCheckpoint(2));
    const model = new Balances({ store, checkpoints });
    await model.start(stream1);
    await model.whenLive();
    expect(model.seen).toEqual([]);
    await model.stop();
  });
});

describe('ReadModelBase.waitFor(position) — read your own write', () => {
  let store: FaultyStreamStore;
  beforeEach(() => {
    store = newStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('resolves once the event at the appended position is handled', async () => {
    const model = new Balances({ store });
    await model.start(stream1);
    await model.whenLive();
    const position = await appendOne(store, 'account-1', new Deposited('account-1', 42));
    await model.waitFor(position);
    expect(model.total('account-1')).toBe(42);
    await model.waitFor(allCheckpoint(position)); // a checkpoint works too
    await model.waitFor(streamCheckpoint(0)); // a stream checkpoint, with a single stream source
    await model.stop();
  });

  it('a filtered source whose own events end before the position counts as there', async () => {
    const model = new Balances({ store });
    await model.start(category);
    await model.whenLive();
    await appendOne(store, 'account-1', new Deposited('account-1', 5));
    const later = await appendOne(store, 'notes-1', new Noted('not an account event'));
    await model.waitFor(later); // the category's last event before `later` is account-1@0
    expect(model.total('account-1')).toBe(5);
    await model.stop();
  });

  it('an event-type source looks past prefix-only matches (DepositedV2 is not Deposited)', async () => {
    const model = new Balances({ store });
    await model.start(ListenerSources.eventType('Deposited'));
    await model.whenLive();
    await appendOne(store, 'account-1', new Deposited('account-1', 7));
    let last = 0n;
    for (let i = 0; i < 3; i++) last = await appendOne(store, 'account-1', new DepositedV2('account-1'));
    await model.waitFor(last);
    expect(model.total('account-1')).toBe(7);
    await model.stop();
  });

  it('waits for every source', async () => {
    const model = new Balances({ store });
    await model.start(stream1, ListenerSources.stream('account-2'));
    await model.whenLive();
    await appendOne(store, 'account-1', new Deposited('account-1', 1));
    const position = await appendOne(store, 'account-2', new Deposited('account-2', 2));
    await model.waitFor(position);
    expect([model.total('account-1'), model.total('account-2')]).toEqual([1, 2]);
    await model.stop();
  });

  describe('never waits silently', () => {
    let release: (() => void) | undefined;
    beforeEach(() => {
      release = undefined;
    });
    /** Lets the blocked handler finish, once it has started. */
    async function unblock(): Promise<void> {
      await eventually(() => release !== undefined, 'the handler started');
      release!();
    }
    class Blocked extends Balances {
      protected override async applyDeposited(event: Deposited, context: EventContext): Promise<void> {
        await new Promise<void>((resolve) => (release = resolve));
        super.applyDeposited(event, context);
      }
    }

    it('rejects with ReadModelWaitTimeoutError after timeoutMs, naming the target and where the model stands', async () => {
      const model = new Blocked({ store });
      await model.start(stream1);
      await model.whenLive();
      const position = await appendOne(store, 'account-1', new Deposited('account-1', 1));
      const failure = await model.waitFor(position, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ReadModelWaitTimeoutError);
      expect((failure as Error).message).toMatch(
        new RegExp(`balances.*position ${position}.*20 ms.*stream:account-1 start`),
      );
      await unblock();
      await model.waitFor(position); // and a later wait still works
      await model.stop();
    });

    it('rejects with ReadModelWaitAbortedError when the signal aborts, and with ListenerStoppedError on stop()', async () => {
      const model = new Blocked({ store });
      await model.start(stream1);
      await model.whenLive();
      const position = await appendOne(store, 'account-1', new Deposited('account-1', 1));
      const controller = new AbortController();
      const aborted = model.waitFor(position, { signal: controller.signal });
      controller.abort(new Error('request cancelled'));
      await expect(aborted).rejects.toBeInstanceOf(ReadModelWaitAbortedError);
      const second = await appendOne(store, 'account-1', new Deposited('account-1', 2));
      const stopped = model.waitFor(second, { timeoutMs: Infinity }); // the running handler finishes, not the next
      await eventually(() => release !== undefined, 'the handler started');
      const stopping = model.stop();
      release!();
      await stopping;
      await expect(stopped).rejects.toBeInstanceOf(ListenerStoppedError);
      await expect(model.waitFor(second)).rejects.toBeInstanceOf(ListenerStoppedError); // stopped: at once
      await model.waitFor(position); // what was handled before the stop still counts
    });
  });

  it('rejects at once when nothing is started, and for a position that is not one', async () => {
    const model = new Balances({ store });
    await expect(model.waitFor(1n)).rejects.toBeInstanceOf(ReadModelNotStartedError);
    await model.start(stream1);
    await expect(model.waitFor(-1n)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(model.waitFor(1n, { timeoutMs: -5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await model.stop();
  });
});
