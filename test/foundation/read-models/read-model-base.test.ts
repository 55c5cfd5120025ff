import { UnknownEventTypeError, type ReactiveDomainError } from '../../../src/core';
import {
  CheckpointStoreError,
  EventParkedError,
  InMemoryCheckpointStore,
  ListenerSources,
  ReadModelBase,
  ReadModelHandlerError,
  ReadModelRouteError,
  RebuildNotSupportedError,
  allCheckpoint,
  sourceKeyOf,
  streamCheckpoint,
  type Checkpoint,
  type CheckpointStore,
  type EventContext,
  type RebuildProgress,
} from '../../../src/foundation';
import { EventSerializer } from '../../../src/persistence/event-serializer';
import type { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import { SubscriptionDroppedError } from '../../../src/persistence/stream-store.errors';
import { EventTypeRegistry } from '../../../src/core';
import {
  AccountOpened,
  Balances,
  Deposited,
  Noted,
  RedeliveringStore,
  append,
  appendDeposits,
  appendUnknown,
  eventually,
  newStore,
  registry,
  serializer,
  triangle,
} from '../subscriptions/fixtures';

const stream1 = ListenerSources.stream('account-1');
const quickReconnect = { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 5 };

describe('ReadModelBase', () => {
  let store: FaultyStreamStore;
  beforeEach(() => {
    store = newStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('routes by convention (apply<TypeName>) and ignores registered types it has no handler for', async () => {
    await append(
      store,
      'account-1',
      new AccountOpened('account-1'),
      new Deposited('account-1', 5),
      new Noted('x'),
      new Deposited('account-1', 7),
    );
    const model = new Balances({ store });
    expect(model.status).toBe('idle');
    await model.start(stream1);
    await model.whenLive();
    expect(model.status).toBe('live');
    expect(model.opened).toBe(1);
    expect(model.total('account-1')).toBe(12);
    expect(model.handledCount).toBe(4); // Noted counts as handled (stepped over), so the checkpoint moves past it
    expect(model.checkpointOf(stream1)).toEqual(streamCheckpoint(3));
    await model.stop();
    expect(model.status).toBe('stopped');
  });

  it('routes explicit on(Type, handler) registrations, with the event context', async () => {
    class Notes extends ReadModelBase {
      static override eventTypes = registry;
      readonly texts: string[] = [];
      constructor() {
        super('notes', { store, serializer });
        this.on(
          Noted,
          (event, context) =>
            void this.texts.push(`${event.text}@${context.recorded.revision}:${context.source}`),
        );
      }
    }
    await append(store, 'notes-1', new Noted('a'), new Noted('b'));
    const model = new Notes();
    await model.start(ListenerSources.stream('notes-1'));
    await model.whenLive();
    expect(model.texts).toEqual(['a@0:stream:notes-1', 'b@1:stream:notes-1']);
    await model.stop();
  });

  it('refuses a convention method and an on() handler for the same type, and two on() for one type', () => {
    class Both extends ReadModelBase {
      static override eventTypes = registry;
      constructor() {
        super('both', { store, serializer });
        this.on(Deposited, () => undefined);
      }
      protected applyDeposited(): void {}
    }
    class Twice extends ReadModelBase {
      static override eventTypes = registry;
      constructor() {
        super('twice', { store, serializer });
        this.on(Noted, () => undefined);
        this.on(Noted, () => undefined);
      }
    }
    expect(() => new Both()).toThrow(ReadModelRouteError);
    expect(() => new Twice()).toThrow(ReadModelRouteError);
  });

  it('refuses a serializer whose registry differs from the model registry', () => {
    expect(
      () => new Balances({ store, serializer: new EventSerializer({ registry: new EventTypeRegistry() }) }),
    ).toThrow(/another event-type registry/);
  });

  it('resumes from a stored checkpoint 8: skips exactly 9 events, then reports checkpoint 19', async () => {
    await appendDeposits(store, 'account-1', 20);
    const checkpoints = new InMemoryCheckpointStore();
    await checkpoints.save('balances', sourceKeyOf(stream1), streamCheckpoint(8));
    const model = new Balances({ store, checkpoints });
    await model.start(stream1);
    await model.whenLive();
    expect(model.seen).toEqual(Array.from({ length: 11 }, (_, i) => `account-1@${i + 9}`));
    expect(model.total('account-1')).toBe(triangle(20) - triangle(9));
    expect(model.checkpointOf(stream1)).toEqual(streamCheckpoint(19));
    expect(await checkpoints.load('balances')).toEqual(
      new Map([[sourceKeyOf(stream1), streamCheckpoint(19)]]),
    );
    await model.stop();
  });

  it('stores $all checkpoints as JSON with the position as a string', async () => {
    await append(store, 'account-1', new Deposited('account-1', 1));
    const checkpoints = new InMemoryCheckpointStore();
    const category = ListenerSources.category('account');
    const model = new Balances({ store, checkpoints });
    await model.start(category);
    await model.whenLive();
    const checkpoint = model.checkpointOf(category) as Extract<Checkpoint, { kind: 'all' }>;
    expect(checkpoint.kind).toBe('all');
    expect(checkpoints.rawOf('balances', 'category:account')).toBe(
      JSON.stringify({ kind: 'all', position: checkpoint.position.toString() }),
    );
    expect((await checkpoints.load('balances')).get('category:account')).toEqual(
      allCheckpoint(checkpoint.position),
    );
    await model.stop();
  });

  it('starting a source twice (at once, again later, or after stop) never doubles state', async () => {
    await appendDeposits(store, 'account-1', 10);
    const model = new Balances({ store });
    await Promise.all([model.start(stream1), model.start(stream1)]);
    await model.start(stream1, stream1);
    await model.whenLive();
    expect(model.total('account-1')).toBe(triangle(10));
    await model.stop();
    await appendDeposits(store, 'account-1', 5);
    await model.start(stream1); // resumes after its checkpoint
    await model.whenLive();
    expect(model.total('account-1')).toBe(triangle(10) + triangle(5));
    expect(model.seen).toHaveLength(15);
    expect(new Set(model.seen).size).toBe(15);
    await model.stop();
  });

  it('ignores events at or before its checkpoint when the store re-delivers them (replays never double state)', async () => {
    await appendDeposits(store, 'account-1', 10);
    const checkpoints = new InMemoryCheckpointStore();
    await checkpoints.save('balances', sourceKeyOf(stream1), streamCheckpoint(4));
    const model = new Balances({
      store: new RedeliveringStore(store),
      checkpoints,
      reconnect: quickReconnect,
    });
    await model.start(stream1);
    await model.whenLive();
    await store.dropSubscriptions();
    await model.stop();
    await model.start(stream1);
    await model.whenLive();
    expect(model.seen).toEqual(['account-1@5', 'account-1@6', 'account-1@7', 'account-1@8', 'account-1@9']);
    await model.stop();
  });

  it('a second model instance resuming from the shared checkpoint store handles only the new events', async () => {
    await appendDeposits(store, 'account-1', 10);
    const checkpoints = new InMemoryCheckpointStore();
    const first = new Balances({ store, checkpoints });
    await first.start(stream1);
    await first.whenLive();
    await first.stop();
    await appendDeposits(store, 'account-1', 3);
    const second = new Balances({ store, checkpoints });
    await second.start(stream1);
    await second.whenLive();
    expect(second.seen).toEqual(['account-1@10', 'account-1@11', 'account-1@12']);
    await second.stop();
  });

  it('loses and duplicates nothing over 10,000 events with a drop during catch-up and another while live', async () => {
    const perStream = 5_000;
    await appendDeposits(store, 'account-1', perStream);
    await appendDeposits(store, 'account-2', perStream);
    const errors: ReactiveDomainError[] = [];
    const category = ListenerSources.category('account');
    let dropped = false;
    class Dropping extends Balances {
      protected override applyDeposited(event: Deposited, context: EventContext): void {
        super.applyDeposited(event, context);
        if (!dropped && this.seen.length === 4_000) {
          dropped = true;
          void store.dropSubscriptions(); // mid catch-up
        }
      }
    }
    const model = new Dropping({ store, reconnect: quickReconnect });
    model.errors$.subscribe((e) => errors.push(e));
    await model.start(category, ListenerSources.stream('account-1'));
    await model.whenLive();
    expect(model.seen).toHaveLength(2 * perStream + perStream); // the category, plus account-1 followed on its own
    await appendDeposits(store, 'account-2', 100);
    await eventually(() => model.seen.length > 3 * perStream);
    await store.dropSubscriptions(); // while live
    await appendDeposits(store, 'account-2', 100);
    await model.waitFor(
      category,
      allCheckpoint((await store.readAll({ direction: 'backwards', maxCount: 1 })).events[0]!.position),
    );
    expect(model.total('account-1')).toBe(2 * triangle(perStream));
    expect(model.total('account-2')).toBe(triangle(perStream) + 2 * triangle(100));
    const fromCategory = model.seen.filter((s) => s.startsWith('account-2'));
    expect(fromCategory).toEqual(Array.from({ length: perStream + 200 }, (_, i) => `account-2@${i}`));
    expect(errors.filter((e) => e instanceof SubscriptionDroppedError).length).toBeGreaterThanOrEqual(2);
    expect(model.status).toBe('live');
    await model.stop();
  });

  it('handles one event at a time across sources, and one whenLive() covers every source', async () => {
    await appendDeposits(store, 'account-1', 50);
    await appendDeposits(store, 'account-2', 50);
    let running = 0;
    let maxRunning = 0;
    class Slow extends ReadModelBase {
      static override eventTypes = registry;
      count = 0;
      constructor() {
        super('slow', { store, serializer });
        this.on(Deposited, async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((resolve) => setImmediate(resolve));
          this.count++;
          running--;
        });
      }
    }
    const model = new Slow();
    await model.start(ListenerSources.stream('account-1'), ListenerSources.stream('account-2'));
    await model.whenLive();
    expect(model.count).toBe(100);
    expect(maxRunning).toBe(1);
    await model.stop();
  });

  it('whenLive() resolves at once when nothing is started', async () => {
    await expect(new Balances({ store }).whenLive()).resolves.toBeUndefined();
  });

  describe('handler failures', () => {
    class Fragile extends Balances {
      protected override applyDeposited(event: Deposited, context: EventContext): void {
        if (event.amount === 3) throw new RangeError('bad amount 3');
        super.applyDeposited(event, context);
      }
    }

    it('fail (default): the model stops in a visible failed state naming the event, stream, revision and error', async () => {
      await appendDeposits(store, 'account-1', 6);
      const errors: ReactiveDomainError[] = [];
      const model = new Fragile({ store });
      model.errors$.subscribe((e) => errors.push(e));
      await model.start(stream1);
      await expect(model.whenLive()).rejects.toBeInstanceOf(ReadModelHandlerError);
      expect(model.status).toBe('failed');
      const failure = model.failure as ReadModelHandlerError;
      expect(failure).toBeInstanceOf(ReadModelHandlerError);
      expect(failure.streamName).toBe('account-1');
      expect(failure.revision).toBe(2);
      expect(failure.event.type).toBe('Deposited');
      expect(failure.cause).toBeInstanceOf(RangeError);
      expect(failure.message).toMatch(/balances.*Deposited.*account-1.*2.*bad amount 3/);
      expect(errors).toEqual([failure]);
      expect(model.seen).toEqual(['account-1@0', 'account-1@1']); // never a silent skip
      expect(model.checkpointOf(stream1)).toEqual(streamCheckpoint(1));
      await appendDeposits(store, 'account-1', 2);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(model.seen).toHaveLength(2);
      await expect(model.start(stream1)).rejects.toThrow(/is failed/);
      await model.stop();
    });

    it('park: the event is set aside and reported, and handling goes on', async () => {
      await appendDeposits(store, 'account-1', 6);
      const errors: ReactiveDomainError[] = [];
      const model = new Fragile({ store, onHandlerError: 'park', onError: (e) => errors.push(e) });
      await model.start(stream1);
      await model.whenLive();
      expect(model.status).toBe('live');
      expect(model.total('account-1')).toBe(triangle(6) - 3);
      expect(model.parked).toHaveLength(1);
      expect(model.parked[0]!.event.revision).toBe(2);
      expect(model.parked[0]!.error.cause).toBeInstanceOf(RangeError);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(EventParkedError);
      await model.stop();
    });

    it('an unregistered stored type is an error by default', async () => {
      await append(store, 'account-1', new Deposited('account-1', 1));
      await appendUnknown(store, 'account-1');
      await append(store, 'account-1', new Deposited('account-1', 2));
      const model = new Balances({ store, onError: () => undefined });
      await model.start(stream1);
      await expect(model.whenLive()).rejects.toBeInstanceOf(ReadModelHandlerError);
      expect((model.failure as ReadModelHandlerError).cause).toBeInstanceOf(UnknownEventTypeError);
      expect((model.failure as ReadModelHandlerError).revision).toBe(1);
      expect(model.total('account-1')).toBe(1);
      await model.stop();
    });

    it('an unregistered stored type is skipped with unknownEventTypes: skip', async () => {
      await append(store, 'account-1', new Deposited('account-1', 1));
      await appendUnknown(store, 'account-1');
      await append(store, 'account-1', new Deposited('account-1', 2));
      const model = new Balances({ store, unknownEventTypes: 'skip' });
      await model.start(stream1);
      await model.whenLive();
      expect(model.total('account-1')).toBe(3);
      expect(model.checkpointOf(stream1)).toEqual(streamCheckpoint(2));
      await model.stop();
    });

    it('a payload that cannot be deserialised goes through the same policy', async () => {
      await store.appendToStream('account-1', 'any', [
        { eventId: new Noted('x').msgId, type: 'Deposited', data: '{"__proto__": {"x": 1}}', metadata: '{}' },
      ]);
      const model = new Balances({ store, onError: () => undefined });
      await model.start(stream1);
      await expect(model.whenLive()).rejects.toBeInstanceOf(ReadModelHandlerError);
      expect(model.total('account-1')).toBe(0);
      await model.stop();
    });

    it('a checkpoint store that cannot save fails the model visibly', async () => {
      await appendDeposits(store, 'account-1', 3);
      const broken: CheckpointStore = {
        load: async () => new Map(),
        save: async () => {
          throw new Error('disk full');
        },
        delete: async () => undefined,
      };
      const model = new Balances({ store, checkpoints: broken, onError: () => undefined });
      await model.start(stream1);
      await expect(model.whenLive()).rejects.toBeInstanceOf(CheckpointStoreError);
      expect(model.status).toBe('failed');
      await model.stop();
    });
  });

  it('saves checkpoints every N events and when the queue runs empty', async () => {
    const saved: number[] = [];
    const inner = new InMemoryCheckpointStore();
    const recording: CheckpointStore = {
      load: (m) => inner.load(m),
      save: async (m, k, c) => {
        saved.push((c as Extract<Checkpoint, { kind: 'stream' }>).revision);
        await inner.save(m, k, c);
      },
      delete: (m) => inner.delete(m),
    };
    await appendDeposits(store, 'account-1', 25);
    const model = new Balances({ store, checkpoints: recording, checkpointEvery: 10 });
    await model.start(stream1);
    await model.whenLive();
    await eventually(() => saved.includes(24), 'final checkpoint saved');
    expect(saved).toEqual([9, 19, 24]); // every 10, then the rest when the source went live
    await append(store, 'account-1', new Deposited('account-1', 1));
    await eventually(() => saved.includes(25), 'saved after the idle period');
    expect(saved).toEqual([9, 19, 24, 25]);
    await model.stop();
  });

  it('waitFor() resolves once the model has handled up to a checkpoint (read your own write)', async () => {
    const model = new Balances({ store });
    await model.start(stream1);
    await model.whenLive();
    const result = await store.appendToStream('account-1', 'any', [
      serializer.serialize(new Deposited('account-1', 42)),
    ]);
    await model.waitFor(stream1, streamCheckpoint(result.nextExpectedVersion));
    expect(model.total('account-1')).toBe(42);
    await model.stop();
  });

  describe('rebuild', () => {
    it('drops state and checkpoints, replays from the start, reports progress and reproduces the same state', async () => {
      await appendDeposits(store, 'account-1', 2_500);
      await append(store, 'account-2', new AccountOpened('account-2'), new Deposited('account-2', 9));
      const checkpoints = new InMemoryCheckpointStore();
      const category = ListenerSources.category('account');
      const model = new Balances({ store, checkpoints });
      await model.start(category);
      await model.whenLive();
      const before = {
        totals: new Map(model.totals),
        seen: [...model.seen],
        opened: model.opened,
        checkpoint: model.checkpointOf(category),
      };

      const progress: RebuildProgress[] = [];
      const result = await model.rebuild({ onProgress: (p) => progress.push(p), progressEvery: 1_000 });
      expect(result).toEqual({ handled: 2_502, total: 2_502 });
      expect(progress.map((p) => p.handled)).toEqual([1_000, 2_000, 2_502]);
      expect(progress.every((p) => p.total === 2_502)).toBe(true);
      expect(model.totals).toEqual(before.totals);
      expect(model.seen).toEqual(before.seen);
      expect(model.opened).toBe(before.opened);
      expect(model.checkpointOf(category)).toEqual(before.checkpoint);
      expect(model.status).toBe('live');

      await append(store, 'account-2', new Deposited('account-2', 1)); // still following live after the rebuild
      await eventually(() => model.total('account-2') === 10);
      await model.stop();
    });

    it('recovers a failed model once the cause is fixed', async () => {
      let broken = true;
      class Flaky extends Balances {
        protected override applyDeposited(event: Deposited, context: EventContext): void {
          if (broken && event.amount === 2) throw new Error('not yet');
          super.applyDeposited(event, context);
        }
      }
      await appendDeposits(store, 'account-1', 4);
      const model = new Flaky({ store, onError: () => undefined });
      await model.start(stream1);
      await expect(model.whenLive()).rejects.toThrow(/not yet/);
      broken = false;
      await model.rebuild({ countTotal: false });
      expect(model.status).toBe('live');
      expect(model.failure).toBeUndefined();
      expect(model.total('account-1')).toBe(triangle(4));
      await model.stop();
    });

    it('needs reset(): the default throws RebuildNotSupportedError', async () => {
      class NoReset extends ReadModelBase {
        static override eventTypes = registry;
        constructor() {
          super('no-reset', { store, serializer });
        }
      }
      await expect(new NoReset().rebuild()).rejects.toBeInstanceOf(RebuildNotSupportedError);
    });
  });
});
