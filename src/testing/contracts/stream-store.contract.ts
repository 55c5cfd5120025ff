import { InvalidArgumentError } from '../../core/reactive-domain.error';
import { ExpectedVersion } from '../../persistence/expected-version';
import type {
  EventData,
  ReadStreamResult,
  RecordedEvent,
  StoreSubscription,
  StreamSlice,
  StreamStore,
} from '../../persistence/stream-store';
import {
  StreamDeletedError,
  SubscriptionDroppedError,
  WrongExpectedVersionError,
} from '../../persistence/stream-store.errors';
import {
  DEFAULT_WAIT_TIMEOUT_MS,
  SubscriptionRecorder,
  eventually as waitUntil,
  failureOf,
  rejectionOf,
  sampleEvent,
  sampleEvents,
  type ContractOptions,
  type StoreFactory,
} from './contract-support';
import { describeContract } from './jest-globals';

/** Options of {@link streamStoreContract}: the knobs every contract suite takes (timeouts); nothing store-specific. */
export type StreamStoreContractOptions = ContractOptions;

function slice(result: ReadStreamResult): StreamSlice {
  if (result.status !== 'ok')
    throw new Error(`expected a slice of ${result.streamName}, got ${result.status}`);
  return result;
}

/**
 * Registers the {@link StreamStore} contract for one store: the EventStoreDB semantics every store in this library
 * has (appends and every `ExpectedVersion`, atomic batches, reads forwards and backwards in pages, soft delete that
 * continues the numbering, tombstones, `$all` with exclusive positions and prefix filters, catch-up-then-live
 * subscriptions with a live signal, ordered one-at-a-time delivery and reported drops, and typed
 * `InvalidArgumentError`s for malformed calls).
 *
 * **Runs under Jest**: call it at the top level of a Jest test file; it registers a `describe` block with Jest's
 * globals (it does not import `@jest/globals` or need `@types/jest`). Outside a runner with those globals it throws
 * {@link TestRunnerMissingError}.
 *
 * `factory` is called once for the suite; the tests share the store and never close it (`dispose` does). Every test
 * writes streams under a fresh prefix and filters `$all` by it, so the store may be shared with other data (a real
 * server, a shared database). Waits poll for an outcome with a deadline (`waitTimeoutMs`), never a timing assertion.
 *
 * @example
 * // my-store.contract.test.ts
 * import { streamStoreContract } from 'reactive-domain/testing';
 * streamStoreContract('MyStreamStore', async () => {
 *   const store = await MyStreamStore.open(testDatabaseUrl);
 *   return { store, dispose: () => store.close() };
 * });
 */
export function streamStoreContract(
  name: string,
  factory: StoreFactory<StreamStore>,
  options: StreamStoreContractOptions = {},
): void {
  const waitMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const newRecorder = (label?: (event: RecordedEvent) => string) => new SubscriptionRecorder(label, waitMs);
  const eventually = (check: () => boolean, what: string) => waitUntil(check, what, waitMs);
  let store!: StreamStore;
  let prefix!: string;
  const fixture = {
    store: (made: StreamStore) => (store = made),
    eachTest: (fresh: string) => (prefix = fresh),
  };

  describeContract(
    `StreamStore contract: ${name}`,
    factory,
    options,
    fixture,
    ({ describe, it, afterEach, beforeEach, expect }) => {
      const subscriptions: StoreSubscription[] = [];
      const stream = (suffix = 's') => `${prefix}-${suffix}`;
      const ownStreams = () => ({ on: 'streamName' as const, prefixes: [`${prefix}-`] });
      const track = (subscription: StoreSubscription) => (subscriptions.push(subscription), subscription);

      afterEach(async () => {
        await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
      });

      describe('appendToStream', () => {
        it('creates a stream with NoStream; revisions start at 0; events read back exactly', async () => {
          const written = sampleEvents(3);
          const result = await store.appendToStream(stream(), ExpectedVersion.NoStream, written);
          expect(result.nextExpectedVersion).toBe(2);
          const read = slice(await store.readStream(stream()));
          expect(read.streamName).toBe(stream());
          expect(read.lastRevision).toBe(2);
          expect(read.isEndOfStream).toBe(true);
          expect(read.events.map((e) => e.revision)).toEqual([0, 1, 2]);
          read.events.forEach((event, i) => {
            expect(event).toMatchObject({
              streamName: stream(),
              eventId: written[i]!.eventId,
              type: written[i]!.type,
              data: written[i]!.data,
            });
            expect(JSON.parse(event.metadata)).toEqual(JSON.parse(written[i]!.metadata));
            expect(event.created).toBeInstanceOf(Date);
            expect(Number.isNaN(event.created.getTime())).toBe(false);
            expect(typeof event.position).toBe('bigint');
          });
          expect(read.events[0]!.position < read.events[1]!.position).toBe(true);
          expect(read.events[1]!.position < read.events[2]!.position).toBe(true);
          expect(result.position).toBe(read.events[2]!.position);
        });

        it('appends to a new and to an existing stream with Any', async () => {
          expect(
            (await store.appendToStream(stream(), ExpectedVersion.Any, sampleEvents(2))).nextExpectedVersion,
          ).toBe(1);
          expect(
            (await store.appendToStream(stream(), ExpectedVersion.Any, sampleEvents(1))).nextExpectedVersion,
          ).toBe(2);
        });

        it('appends with the exact revision of the last event', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          expect((await store.appendToStream(stream(), 1, sampleEvents(2))).nextExpectedVersion).toBe(3);
          expect((await store.appendToStream(stream(), 3, sampleEvents(1))).nextExpectedVersion).toBe(4);
        });

        it('NoStream on an existing stream fails with WrongExpectedVersionError naming stream, expected and actual', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          const error = await rejectionOf(
            store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1)),
          );
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect(error).toMatchObject({
            code: 'WRONG_EXPECTED_VERSION',
            streamName: stream(),
            expected: 'no_stream',
            actual: 1,
          });
        });

        it('StreamExists succeeds on an existing stream', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1));
          expect(
            (await store.appendToStream(stream(), ExpectedVersion.StreamExists, sampleEvents(2)))
              .nextExpectedVersion,
          ).toBe(2);
        });

        it('StreamExists fails on a missing stream (actual no_stream)', async () => {
          const error = await rejectionOf(
            store.appendToStream(stream(), ExpectedVersion.StreamExists, sampleEvents(1)),
          );
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect(error).toMatchObject({
            streamName: stream(),
            expected: 'stream_exists',
            actual: 'no_stream',
          });
          expect((await store.readStream(stream())).status).toBe('not_found');
        });

        it('a stale or future revision fails with the actual revision; a revision on a missing stream with no_stream', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(3));
          expect(await rejectionOf(store.appendToStream(stream(), 1, sampleEvents(1)))).toMatchObject({
            constructor: WrongExpectedVersionError,
            streamName: stream(),
            expected: 1,
            actual: 2,
          });
          expect(await rejectionOf(store.appendToStream(stream(), 7, sampleEvents(1)))).toMatchObject({
            expected: 7,
            actual: 2,
          });
          expect(
            await rejectionOf(store.appendToStream(stream('missing'), 0, sampleEvents(1))),
          ).toMatchObject({
            constructor: WrongExpectedVersionError,
            streamName: stream('missing'),
            expected: 0,
            actual: 'no_stream',
          });
        });

        it('concurrent appends with the same expected version: exactly one wins, the others get WrongExpectedVersionError', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1));
          const contenders = sampleEvents(5);
          const outcomes = await Promise.allSettled(
            contenders.map((event) => store.appendToStream(stream(), 0, [event])),
          );
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(4);
          for (const loss of lost) {
            expect(loss.reason).toBeInstanceOf(WrongExpectedVersionError);
            expect(loss.reason).toMatchObject({ streamName: stream(), expected: 0, actual: 1 });
          }
          const read = slice(await store.readStream(stream()));
          expect(read.events).toHaveLength(2);
          const winner = contenders[outcomes.indexOf(won[0]!)]!;
          expect(read.events[1]!.eventId).toBe(winner.eventId);
        });

        it('a multi-event append is atomic: a failed check writes none of the events, not even to $all', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1));
          await expect(store.appendToStream(stream(), 5, sampleEvents(3))).rejects.toBeInstanceOf(
            WrongExpectedVersionError,
          );
          expect(slice(await store.readStream(stream())).events).toHaveLength(1);
          const all = await store.readAll({ filter: ownStreams() });
          expect(all.events).toHaveLength(1);
        });

        it('records copy nothing mutable out: changing a returned Date does not change the store', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1));
          const first = slice(await store.readStream(stream())).events[0]!;
          const created = first.created.getTime();
          first.created.setTime(0);
          const again = slice(await store.readStream(stream())).events[0]!;
          expect(again.created.getTime()).toBe(created);
        });
      });

      describe('readStream', () => {
        beforeEach(async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(5));
        });

        it('reads forwards in pages of maxCount', async () => {
          const page1 = slice(await store.readStream(stream(), { fromRevision: 0, maxCount: 2 }));
          expect(page1.events.map((e) => e.revision)).toEqual([0, 1]);
          expect(page1.isEndOfStream).toBe(false);
          const page2 = slice(await store.readStream(stream(), { fromRevision: 2, maxCount: 2 }));
          expect(page2.events.map((e) => e.revision)).toEqual([2, 3]);
          expect(page2.isEndOfStream).toBe(false);
          const page3 = slice(await store.readStream(stream(), { fromRevision: 4, maxCount: 2 }));
          expect(page3.events.map((e) => e.revision)).toEqual([4]);
          expect(page3.isEndOfStream).toBe(true);
          expect(page3.lastRevision).toBe(4);
        });

        it('reads backwards from the end and from a revision', async () => {
          const all = slice(await store.readStream(stream(), { direction: 'backwards' }));
          expect(all.events.map((e) => e.revision)).toEqual([4, 3, 2, 1, 0]);
          expect(all.isEndOfStream).toBe(true);
          const page = slice(
            await store.readStream(stream(), { direction: 'backwards', fromRevision: 3, maxCount: 2 }),
          );
          expect(page.events.map((e) => e.revision)).toEqual([3, 2]);
          expect(page.isEndOfStream).toBe(false);
          const last = slice(
            await store.readStream(stream(), { direction: 'backwards', fromRevision: 1, maxCount: 2 }),
          );
          expect(last.events.map((e) => e.revision)).toEqual([1, 0]);
          expect(last.isEndOfStream).toBe(true);
          const end = slice(
            await store.readStream(stream(), { direction: 'backwards', fromRevision: 'end', maxCount: 1 }),
          );
          expect(end.events.map((e) => e.revision)).toEqual([4]);
        });

        it('reading past the end returns an empty slice at the end of the stream', async () => {
          const read = slice(await store.readStream(stream(), { fromRevision: 10, maxCount: 3 }));
          expect(read.events).toEqual([]);
          expect(read.isEndOfStream).toBe(true);
          expect(read.lastRevision).toBe(4);
          const atEnd = slice(await store.readStream(stream(), { fromRevision: 5 }));
          expect(atEnd.events).toEqual([]);
          expect(atEnd.isEndOfStream).toBe(true);
        });

        it('a stream that was never written reads as not_found', async () => {
          expect(await store.readStream(stream('never'))).toEqual({
            status: 'not_found',
            streamName: stream('never'),
          });
          expect(await store.readStream(stream('never'), { direction: 'backwards' })).toEqual({
            status: 'not_found',
            streamName: stream('never'),
          });
        });
      });

      describe('deleteStream (soft delete)', () => {
        it('the stream reads as not found; a later append with NoStream continues the revision numbering', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(3));
          await store.deleteStream(stream(), 2);
          expect(await store.readStream(stream())).toEqual({ status: 'not_found', streamName: stream() });
          const appended = await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          expect(appended.nextExpectedVersion).toBe(4);
          const read = slice(await store.readStream(stream()));
          expect(read.events.map((e) => e.revision)).toEqual([3, 4]);
          expect(read.lastRevision).toBe(4);
          const backwards = slice(await store.readStream(stream(), { direction: 'backwards' }));
          expect(backwards.events.map((e) => e.revision)).toEqual([4, 3]);
          expect(backwards.isEndOfStream).toBe(true);
        });

        it('a later append with Any also continues the numbering', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          await store.deleteStream(stream(), ExpectedVersion.Any);
          expect(
            (await store.appendToStream(stream(), ExpectedVersion.Any, sampleEvents(1))).nextExpectedVersion,
          ).toBe(2);
          expect(slice(await store.readStream(stream())).events.map((e) => e.revision)).toEqual([2]);
        });

        it('with StreamExists on an existing stream succeeds', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1));
          await store.deleteStream(stream(), ExpectedVersion.StreamExists);
          expect((await store.readStream(stream())).status).toBe('not_found');
        });

        it('with a wrong version fails with WrongExpectedVersionError and deletes nothing', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(3));
          const error = await rejectionOf(store.deleteStream(stream(), 0));
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect(error).toMatchObject({ streamName: stream(), expected: 0 });
          expect(slice(await store.readStream(stream())).events).toHaveLength(3);
        });

        it('deleting a missing stream with StreamExists fails with WrongExpectedVersionError', async () => {
          const error = await rejectionOf(
            store.deleteStream(stream('missing'), ExpectedVersion.StreamExists),
          );
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect(error).toMatchObject({ streamName: stream('missing'), expected: 'stream_exists' });
        });
      });

      describe('tombstoneStream (hard delete)', () => {
        it('the stream reads as deleted and can never be written, deleted or tombstoned again', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          await store.tombstoneStream(stream(), 1);
          expect(await store.readStream(stream())).toEqual({ status: 'deleted', streamName: stream() });
          expect(await store.readStream(stream(), { direction: 'backwards' })).toEqual({
            status: 'deleted',
            streamName: stream(),
          });
          for (const expected of [
            ExpectedVersion.Any,
            ExpectedVersion.NoStream,
            ExpectedVersion.StreamExists,
            1,
          ]) {
            const error = await rejectionOf(store.appendToStream(stream(), expected, sampleEvents(1)));
            expect(error).toBeInstanceOf(StreamDeletedError);
            expect(error).toMatchObject({ code: 'STREAM_DELETED', streamName: stream() });
          }
          await expect(store.deleteStream(stream(), ExpectedVersion.Any)).rejects.toBeInstanceOf(
            StreamDeletedError,
          );
          await expect(store.tombstoneStream(stream(), ExpectedVersion.Any)).rejects.toBeInstanceOf(
            StreamDeletedError,
          );
        });

        it('with a wrong version fails with WrongExpectedVersionError and leaves the stream intact', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          const error = await rejectionOf(store.tombstoneStream(stream(), 0));
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect(error).toMatchObject({ streamName: stream(), expected: 0 });
          expect(slice(await store.readStream(stream())).events).toHaveLength(2);
          expect((await store.appendToStream(stream(), 1, sampleEvents(1))).nextExpectedVersion).toBe(2);
        });

        it('a soft-deleted stream can be tombstoned', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1));
          await store.deleteStream(stream(), 0);
          await store.tombstoneStream(stream(), ExpectedVersion.Any);
          expect((await store.readStream(stream())).status).toBe('deleted');
        });
      });

      describe('readAll', () => {
        /** Appends interleaved events to two streams of this test; returns them in append order. */
        async function interleaved(): Promise<{ streamName: string; eventId: string; position: bigint }[]> {
          const written: { streamName: string; eventId: string; position: bigint }[] = [];
          for (let i = 0; i < 6; i++) {
            const name = stream(i % 2 === 0 ? 'a' : 'b');
            const event = sampleEvent('ContractEvent', i);
            const result = await store.appendToStream(name, ExpectedVersion.Any, [event]);
            written.push({ streamName: name, eventId: event.eventId, position: result.position });
          }
          return written;
        }

        it('returns the events of every stream in append order, with increasing positions (stream-name filter)', async () => {
          const written = await interleaved();
          const read = await store.readAll({ filter: ownStreams() });
          expect(read.events.map((e) => [e.streamName, e.eventId, e.position])).toEqual(
            written.map((w) => [w.streamName, w.eventId, w.position]),
          );
          expect(read.isEnd).toBe(true);
          for (let i = 1; i < read.events.length; i++)
            expect(read.events[i - 1]!.position < read.events[i]!.position).toBe(true);
        });

        it('resumes exclusively after a position: pages neither skip nor repeat events', async () => {
          const written = await interleaved();
          const seen: string[] = [];
          let after: bigint | 'start' = 'start';
          for (let page = 0; page < 10; page++) {
            const read = await store.readAll({ after, maxCount: 4, filter: ownStreams() });
            seen.push(...read.events.map((e) => e.eventId));
            if (read.events.length < 4) {
              expect(read.isEnd).toBe(true);
              break;
            }
            expect(read.isEnd).toBe(false);
            after = read.events[read.events.length - 1]!.position;
          }
          expect(seen).toEqual(written.map((w) => w.eventId));
          const afterThird = await store.readAll({ after: written[2]!.position, filter: ownStreams() });
          expect(afterThird.events.map((e) => e.eventId)).toEqual(written.slice(3).map((w) => w.eventId));
        });

        it('reads backwards, resuming exclusively before a position', async () => {
          const written = await interleaved();
          const read = await store.readAll({ direction: 'backwards', filter: ownStreams() });
          expect(read.events.map((e) => e.eventId)).toEqual(written.map((w) => w.eventId).reverse());
          const before = await store.readAll({
            direction: 'backwards',
            after: written[3]!.position,
            maxCount: 2,
            filter: ownStreams(),
          });
          expect(before.events.map((e) => e.eventId)).toEqual([written[2]!.eventId, written[1]!.eventId]);
          expect(before.isEnd).toBe(false);
        });

        it('filters by stream-name prefix: any of several prefixes matches', async () => {
          await store.appendToStream(stream('x1'), ExpectedVersion.Any, [sampleEvent('ContractEvent', 1)]);
          await store.appendToStream(stream('y1'), ExpectedVersion.Any, [sampleEvent('ContractEvent', 2)]);
          await store.appendToStream(stream('z1'), ExpectedVersion.Any, [sampleEvent('ContractEvent', 3)]);
          const read = await store.readAll({
            filter: { on: 'streamName', prefixes: [stream('x'), stream('z')] },
          });
          expect(read.events.map((e) => e.streamName)).toEqual([stream('x1'), stream('z1')]);
        });

        it('filters by event-type prefix', async () => {
          await store.appendToStream(stream(), ExpectedVersion.Any, [
            sampleEvent(`${prefix}A1`),
            sampleEvent(`${prefix}B`),
            sampleEvent(`${prefix}A2`),
          ]);
          const read = await store.readAll({ filter: { on: 'eventType', prefixes: [`${prefix}A`] } });
          expect(read.events.map((e) => e.type)).toEqual([`${prefix}A1`, `${prefix}A2`]);
        });

        it("reading forwards from 'end' returns nothing", async () => {
          await interleaved();
          const read = await store.readAll({ after: 'end', filter: ownStreams() });
          expect(read.events).toEqual([]);
          expect(read.isEnd).toBe(true);
        });
      });

      describe('subscribeToStream', () => {
        it('catches up from an exclusive revision, signals live once, then delivers new events', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(3));
          const recorder = newRecorder();
          const subscription = track(store.subscribeToStream(stream(), { after: 0 }, recorder.handlers()));
          await recorder.waitForLog(3);
          expect(recorder.log).toEqual(['1', '2', 'live']);
          expect(subscription.isLive).toBe(true);
          await store.appendToStream(stream(), 2, sampleEvents(2));
          await recorder.waitForLog(5);
          expect(recorder.log).toEqual(['1', '2', 'live', '3', '4']);
          expect(recorder.events.map((e) => e.streamName)).toEqual(Array(4).fill(stream()));
          expect(recorder.drops).toEqual([]);
        });

        it("from 'start': every past event comes before the live signal", async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(3));
          const recorder = newRecorder();
          track(store.subscribeToStream(stream(), { after: 'start' }, recorder.handlers()));
          await recorder.waitForLog(4);
          expect(recorder.log).toEqual(['0', '1', '2', 'live']);
        });

        it("from 'end': only events appended later", async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(3));
          const recorder = newRecorder();
          track(store.subscribeToStream(stream(), { after: 'end' }, recorder.handlers()));
          await recorder.waitForLog(1);
          expect(recorder.log).toEqual(['live']);
          await store.appendToStream(stream(), 2, sampleEvents(1));
          await recorder.waitForLog(2);
          expect(recorder.log).toEqual(['live', '3']);
        });

        it('subscribes to a stream that does not exist yet', async () => {
          const recorder = newRecorder();
          track(store.subscribeToStream(stream(), { after: 'start' }, recorder.handlers()));
          await recorder.waitForLog(1);
          expect(recorder.log).toEqual(['live']);
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          await recorder.waitForLog(3);
          expect(recorder.log).toEqual(['live', '0', '1']);
        });

        it('delivers one event at a time, in order, awaiting the handler', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(5));
          let running = 0;
          let maxRunning = 0;
          const recorder = newRecorder();
          track(
            store.subscribeToStream(
              stream(),
              { after: 'start' },
              recorder.handlers(async () => {
                running++;
                maxRunning = Math.max(maxRunning, running);
                await new Promise((resolve) => setTimeout(resolve, 2));
                running--;
              }),
            ),
          );
          await recorder.waitForLog(6);
          expect(recorder.log).toEqual(['0', '1', '2', '3', '4', 'live']);
          expect(maxRunning).toBe(1);
        });

        it('a handler that throws drops the subscription with handler_error, once; no later event is delivered', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(3));
          const failure = new Error('handler failed');
          const recorder = newRecorder();
          const subscription = track(
            store.subscribeToStream(
              stream(),
              { after: 'start' },
              recorder.handlers((event) => {
                if (event.revision === 1) throw failure;
              }),
            ),
          );
          await eventually(() => recorder.drops.length > 0, 'the drop');
          expect(recorder.drops).toHaveLength(1);
          const drop = recorder.drops[0]!;
          expect(drop).toBeInstanceOf(SubscriptionDroppedError);
          expect(drop).toMatchObject({
            code: 'SUBSCRIPTION_DROPPED',
            reason: 'handler_error',
            cause: failure,
          });
          // Barrier: a second subscription sees a later append; the dropped one must not.
          const barrier = newRecorder();
          track(store.subscribeToStream(stream(), { after: 'end' }, barrier.handlers()));
          await barrier.waitForLog(1);
          await store.appendToStream(stream(), 2, sampleEvents(1));
          await barrier.waitForLog(2);
          expect(recorder.log).toEqual(['0', '1']);
          expect(recorder.drops).toHaveLength(1);
          await subscription.close();
          expect(recorder.drops).toHaveLength(1);
        });

        it('close() stops delivery without a drop report and is idempotent', async () => {
          const recorder = newRecorder();
          const subscription = track(
            store.subscribeToStream(stream(), { after: 'start' }, recorder.handlers()),
          );
          await recorder.waitForLog(1);
          await subscription.close();
          await subscription.close();
          const barrier = newRecorder();
          track(store.subscribeToStream(stream(), { after: 'start' }, barrier.handlers()));
          await barrier.waitForLog(1);
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          await barrier.waitForLog(3);
          expect(recorder.log).toEqual(['live']);
          expect(recorder.drops).toEqual([]);
        });

        it('a slow subscriber blocks neither appends nor other subscribers', async () => {
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          const slow = newRecorder();
          track(
            store.subscribeToStream(
              stream(),
              { after: 'start' },
              slow.handlers(() => gate),
            ),
          );
          const fast = newRecorder();
          track(store.subscribeToStream(stream(), { after: 'start' }, fast.handlers()));
          // Both live before the first append, so the expected logs do not depend on subscription start-up time.
          await slow.waitForLog(1);
          await fast.waitForLog(1);
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(1));
          await slow.waitForLog(2); // 'live', '0' (its handler now hangs)
          for (let i = 1; i <= 3; i++) await store.appendToStream(stream(), i - 1, sampleEvents(1));
          await fast.waitForLog(5);
          expect(fast.log).toEqual(['live', '0', '1', '2', '3']);
          expect(slow.log).toEqual(['live', '0']);
          release();
          await slow.waitForLog(5);
          expect(slow.log).toEqual(['live', '0', '1', '2', '3']);
        });
      });

      describe('subscribeToAll', () => {
        const byStream = (event: RecordedEvent) =>
          `${event.streamName.slice(prefix.length + 1)}:${event.revision}`;

        it('catches up after an exclusive position with a stream-name filter, signals live, then delivers new events', async () => {
          const first = await store.appendToStream(stream('a'), ExpectedVersion.NoStream, sampleEvents(1));
          await store.appendToStream(stream('b'), ExpectedVersion.NoStream, sampleEvents(2));
          await store.appendToStream(`other${prefix}-a`, ExpectedVersion.NoStream, sampleEvents(1)); // outside the filter
          const recorder = newRecorder(byStream);
          const subscription = track(
            store.subscribeToAll({ after: first.position, filter: ownStreams() }, recorder.handlers()),
          );
          await recorder.waitForLog(3);
          expect(recorder.log).toEqual(['b:0', 'b:1', 'live']);
          expect(subscription.isLive).toBe(true);
          await store.appendToStream(`other${prefix}-a`, 0, sampleEvents(1));
          await store.appendToStream(stream('a'), 0, sampleEvents(1));
          await recorder.waitForLog(4);
          expect(recorder.log).toEqual(['b:0', 'b:1', 'live', 'a:1']);
          for (let i = 1; i < recorder.events.length; i++) {
            expect(recorder.events[i - 1]!.position < recorder.events[i]!.position).toBe(true);
          }
        });

        it("from 'start' with a filter: the past first, then live, then new events", async () => {
          await store.appendToStream(stream('a'), ExpectedVersion.NoStream, sampleEvents(2));
          const recorder = newRecorder(byStream);
          track(store.subscribeToAll({ after: 'start', filter: ownStreams() }, recorder.handlers()));
          await recorder.waitForLog(3);
          expect(recorder.log).toEqual(['a:0', 'a:1', 'live']);
          await store.appendToStream(stream('b'), ExpectedVersion.NoStream, sampleEvents(1));
          await recorder.waitForLog(4);
          expect(recorder.log).toEqual(['a:0', 'a:1', 'live', 'b:0']);
        });

        it('filters by event-type prefix', async () => {
          const recorder = newRecorder((event) => event.type.slice(prefix.length));
          track(
            store.subscribeToAll(
              { after: 'end', filter: { on: 'eventType', prefixes: [`${prefix}A`] } },
              recorder.handlers(),
            ),
          );
          await recorder.waitForLog(1);
          await store.appendToStream(stream(), ExpectedVersion.NoStream, [
            sampleEvent(`${prefix}A1`),
            sampleEvent(`${prefix}B`),
            sampleEvent(`${prefix}A2`),
          ]);
          await recorder.waitForLog(3);
          expect(recorder.log).toEqual(['live', 'A1', 'A2']);
        });

        it('a handler that throws drops the $all subscription with handler_error', async () => {
          const failure = new Error('read model broke');
          const recorder = newRecorder(byStream);
          track(
            store.subscribeToAll(
              { after: 'end', filter: ownStreams() },
              recorder.handlers(() => {
                throw failure;
              }),
            ),
          );
          await recorder.waitForLog(1);
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          await eventually(() => recorder.drops.length > 0, 'the drop');
          expect(recorder.drops[0]).toMatchObject({ reason: 'handler_error', cause: failure });
          expect(recorder.log).toEqual(['live', 's:0']);
        });
      });
      describe('arguments', () => {
        const valid = (): EventData => sampleEvent();
        const cases: [string, () => unknown][] = [
          ['an empty stream name', () => store.appendToStream('', ExpectedVersion.Any, [valid()])],
          ['$all as a stream', () => store.appendToStream('$all', ExpectedVersion.Any, [valid()])],
          ['a negative expected version', () => store.appendToStream(stream(), -1 as never, [valid()])],
          ['a fractional expected version', () => store.appendToStream(stream(), 1.5, [valid()])],
          [
            'events that are not an array',
            () => store.appendToStream(stream(), ExpectedVersion.Any, {} as never),
          ],
          [
            'a non-UUID event id',
            () => store.appendToStream(stream(), ExpectedVersion.Any, [{ ...valid(), eventId: 'x' }]),
          ],
          [
            'an empty event type',
            () => store.appendToStream(stream(), ExpectedVersion.Any, [{ ...valid(), type: '' }]),
          ],
          [
            'data that is not a string',
            () => store.appendToStream(stream(), ExpectedVersion.Any, [{ ...valid(), data: {} as never }]),
          ],
          ['maxCount 0', () => store.readStream(stream(), { maxCount: 0 })],
          ['a fractional fromRevision', () => store.readStream(stream(), { fromRevision: 1.5 })],
          ['an unknown direction', () => store.readStream(stream(), { direction: 'sideways' as never })],
          ['a negative $all position', () => store.readAll({ after: -1n })],
          ['a $all position that is a number', () => store.readAll({ after: 5 as never })],
          ['an empty filter', () => store.readAll({ filter: { on: 'streamName', prefixes: [] } })],
          ['an empty stream name to delete', () => store.deleteStream('', ExpectedVersion.Any)],
          ['a fractional expected version to tombstone', () => store.tombstoneStream(stream(), 0.5)],
          [
            'a subscription from a negative revision',
            () => store.subscribeToStream(stream(), { after: -2 }, { onEvent: () => undefined }),
          ],
          ['a subscription without onEvent', () => store.subscribeToAll({}, {} as never)],
        ];
        for (const [what, call] of cases) {
          it(`refuses ${what} with InvalidArgumentError`, async () => {
            const error = await failureOf(call);
            expect(error).toBeInstanceOf(InvalidArgumentError);
            expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
          });
        }

        it('null options count as absent', async () => {
          await store.appendToStream(stream(), ExpectedVersion.NoStream, sampleEvents(2));
          const read = slice(await store.readStream(stream(), null as never));
          expect(read.events.map((e) => e.revision)).toEqual([0, 1]);
          const all = await store.readAll(null as never);
          expect(all.events.length > 0).toBe(true);
        });

        it('an invalid event in a batch writes none of the batch', async () => {
          const error = await rejectionOf(
            store.appendToStream(stream(), ExpectedVersion.Any, [valid(), { ...valid(), eventId: 'nope' }]),
          );
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((await store.readStream(stream())).status).toBe('not_found');
          expect((await store.readAll({ filter: ownStreams() })).events).toHaveLength(0);
        });
      });
    },
  );
}
