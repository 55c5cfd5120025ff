import { InvalidArgumentError } from '../../src/core/reactive-domain.error';
import {
  ExpectedVersion,
  InMemoryStreamStore,
  StreamDeletedError,
  StreamNotFoundError,
  readAllEvents,
  readStreamEvents,
  type StreamStore,
} from '../../src/persistence';
import { sampleEvents as events } from '../../src/testing';

/** Wraps a store to count reads and the largest page returned. */
function counting(store: StreamStore) {
  const stats = { calls: 0, largestPage: 0 };
  const wrapped: StreamStore = Object.create(store) as StreamStore;
  wrapped.readStream = async (name, options) => {
    stats.calls++;
    const result = await store.readStream(name, options);
    if (result.status === 'ok') stats.largestPage = Math.max(stats.largestPage, result.events.length);
    return result;
  };
  wrapped.readAll = async (options) => {
    stats.calls++;
    const result = await store.readAll(options);
    stats.largestPage = Math.max(stats.largestPage, result.events.length);
    return result;
  };
  return { store: wrapped, stats };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('readStreamEvents', () => {
  let memory: InMemoryStreamStore;
  beforeEach(async () => {
    memory = new InMemoryStreamStore();
    await memory.appendToStream('s-1', ExpectedVersion.NoStream, events(10));
  });

  it('yields every event in order, one page at a time', async () => {
    const { store, stats } = counting(memory);
    const read = await collect(readStreamEvents(store, 's-1', { pageSize: 3 }));
    expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stats.calls).toBe(4);
    expect(stats.largestPage).toBe(3);
  });

  it('honours fromRevision and an inclusive toRevision, reading no more than needed', async () => {
    const { store, stats } = counting(memory);
    const read = await collect(
      readStreamEvents(store, 's-1', { fromRevision: 2, toRevision: 6, pageSize: 4 }),
    );
    expect(read.map((e) => e.revision)).toEqual([2, 3, 4, 5, 6]);
    expect(stats.calls).toBe(2);
  });

  it('stops early when the consumer breaks (no further reads)', async () => {
    const { store, stats } = counting(memory);
    for await (const event of readStreamEvents(store, 's-1', { pageSize: 2 }))
      if (event.revision === 1) break;
    expect(stats.calls).toBe(1);
  });

  it('a missing stream throws StreamNotFoundError, or yields nothing with ifMissing: empty; a tombstone throws', async () => {
    await expect(collect(readStreamEvents(memory, 'nope-1'))).rejects.toBeInstanceOf(StreamNotFoundError);
    expect(await collect(readStreamEvents(memory, 'nope-1', { ifMissing: 'empty' }))).toEqual([]);
    await memory.tombstoneStream('s-1', ExpectedVersion.Any);
    await expect(collect(readStreamEvents(memory, 's-1', { ifMissing: 'empty' }))).rejects.toBeInstanceOf(
      StreamDeletedError,
    );
  });

  it('after a soft delete yields the events after the truncation point', async () => {
    await memory.deleteStream('s-1', 9);
    await memory.appendToStream('s-1', ExpectedVersion.NoStream, events(2));
    expect((await collect(readStreamEvents(memory, 's-1', { pageSize: 1 }))).map((e) => e.revision)).toEqual([
      10, 11,
    ]);
  });

  it('validates its options', async () => {
    await expect(collect(readStreamEvents(memory, 's-1', { pageSize: 0 }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(collect(readStreamEvents(memory, 's-1', { fromRevision: -1 }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(collect(readStreamEvents(memory, 's-1', { toRevision: 1.5 }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('readAllEvents', () => {
  it('pages through $all with exclusive resume, filtered, without skipping or repeating', async () => {
    const memory = new InMemoryStreamStore();
    for (let i = 0; i < 7; i++) {
      await memory.appendToStream(`a-${i % 2}`, ExpectedVersion.Any, events(1));
      await memory.appendToStream(`b-${i}`, ExpectedVersion.Any, events(1));
    }
    const { store, stats } = counting(memory);
    const read = await collect(
      readAllEvents(store, { pageSize: 3, filter: { on: 'streamName', prefixes: ['a-'] } }),
    );
    expect(read.map((e) => `${e.streamName}:${e.revision}`)).toEqual([
      'a-0:0',
      'a-1:0',
      'a-0:1',
      'a-1:1',
      'a-0:2',
      'a-1:2',
      'a-0:3',
    ]);
    expect(stats.largestPage).toBe(3);
    const after = await collect(
      readAllEvents(store, { after: read[2]!.position, filter: { on: 'streamName', prefixes: ['a-'] } }),
    );
    expect(after.map((e) => e.eventId)).toEqual(read.slice(3).map((e) => e.eventId));
    expect(await collect(readAllEvents(store))).toHaveLength(14);
  });
});
