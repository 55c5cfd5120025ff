import { InvalidArgumentError } from '../../core/reactive-domain.error';
import type { SnapshotStore, StoredSnapshot } from '../../foundation/snapshots/snapshot-store';
import { failureOf, type ContractOptions, type StoreFactory } from './contract-support';
import { describeContract } from './jest-globals';

/** Options of {@link snapshotStoreContract}: the knobs every contract suite takes (timeouts). */
export type SnapshotStoreContractOptions = ContractOptions;

/**
 * Registers the {@link SnapshotStore} contract for one store:
 * - a stream with no snapshot loads as `undefined`;
 * - `save` then `load` returns the snapshot: `aggregateType`, `aggregateId`, `version`, `schemaVersion` as saved,
 *   `takenAt` a `Date` of the same millisecond, `state` deeply equal (nested objects and arrays, unicode, `null`,
 *   numbers, booleans; JSON-safe state, as `takeSnapshot()` returns);
 * - the latest save wins (whatever its version), per stream: streams are isolated, including names that prefix each
 *   other;
 * - stored state is a copy: mutating the saved object afterwards, or a loaded one, changes nothing stored;
 * - malformed arguments (empty stream name, missing or mistyped fields, an invalid `takenAt`, state that is not
 *   JSON-safe) are refused with `InvalidArgumentError` (code `INVALID_ARGUMENT`) and store nothing.
 *
 * **Runs under Jest**: call it at the top level of a Jest test file (it uses Jest's globals; see
 * `streamStoreContract`). `factory` is called once for the suite; every test uses stream names under a fresh
 * prefix.
 *
 * @example
 * import { snapshotStoreContract } from 'reactive-domain/testing';
 * snapshotStoreContract('MySnapshotStore', () => ({ store: new MySnapshotStore(db) }));
 */
export function snapshotStoreContract(
  name: string,
  factory: StoreFactory<SnapshotStore>,
  options: SnapshotStoreContractOptions = {},
): void {
  let store!: SnapshotStore;
  let prefix!: string;
  const fixture = {
    store: (made: SnapshotStore) => (store = made),
    eachTest: (fresh: string) => (prefix = fresh),
  };

  describeContract(
    `SnapshotStore contract: ${name}`,
    factory,
    options,
    fixture,
    ({ describe, it, expect }) => {
      const stream = (suffix = 's') => `${prefix}-${suffix}`;
      const snapshot = (version: number, state: unknown = { version }): StoredSnapshot => ({
        aggregateType: 'ContractAggregate',
        aggregateId: `${prefix}-id`,
        version,
        schemaVersion: 1,
        state,
        takenAt: new Date(Date.UTC(2026, 10, 30, 12, 0, 0, version % 1000)),
      });

      it('a stream with no snapshot loads as undefined', async () => {
        expect(await store.load(stream('never'))).toBeUndefined();
      });

      it('save then load round-trips every field: takenAt as a Date, state deeply equal, schema version kept', async () => {
        const state = {
          balance: 1234.5,
          owner: 'Zoë 🏦 "quoted" \\ back',
          closed: false,
          overdraft: null,
          lines: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 0 }, []],
          nested: { deeper: { deepest: [1, 'two', { three: 3 }] } },
          negative: -0.25,
        };
        const saved: StoredSnapshot = {
          aggregateType: 'Order',
          aggregateId: `${prefix}-order-1`,
          version: 41,
          schemaVersion: 7,
          state,
          takenAt: new Date('2026-11-30T14:05:06.789Z'),
        };
        await store.save(stream(), saved);
        const loaded = await store.load(stream());
        expect(loaded).toEqual(saved);
        expect(loaded?.takenAt).toBeInstanceOf(Date);
        expect(loaded?.takenAt.getTime()).toBe(saved.takenAt.getTime());
        expect(loaded?.schemaVersion).toBe(7);
      });

      it('keeps versions up to Number.MAX_SAFE_INTEGER, schema version 0 and scalar state', async () => {
        const saved = { ...snapshot(Number.MAX_SAFE_INTEGER, 'just a string'), schemaVersion: 0 };
        await store.save(stream(), saved);
        expect(await store.load(stream())).toEqual(saved);
      });

      it('the latest save wins, whatever its version', async () => {
        await store.save(stream(), snapshot(5));
        await store.save(stream(), snapshot(9));
        expect((await store.load(stream()))?.version).toBe(9);
        await store.save(stream(), { ...snapshot(3), schemaVersion: 2 });
        expect(await store.load(stream())).toEqual({ ...snapshot(3), schemaVersion: 2 });
      });

      it('snapshots are kept per stream: names that prefix each other are distinct', async () => {
        await store.save(stream('a'), snapshot(1));
        await store.save(stream('a-1'), snapshot(2));
        await store.save(stream('A'), snapshot(3));
        expect((await store.load(stream('a')))?.version).toBe(1);
        expect((await store.load(stream('a-1')))?.version).toBe(2);
        expect((await store.load(stream('A')))?.version).toBe(3);
        expect(await store.load(stream('a-'))).toBeUndefined();
      });

      it('stores a copy: mutating the saved or the loaded object changes nothing stored', async () => {
        const state = { items: ['a'], total: 1 };
        const saved = snapshot(1, state);
        await store.save(stream(), saved);
        state.items.push('b');
        state.total = 2;
        saved.takenAt.setTime(0);
        const loaded = await store.load(stream());
        expect(loaded?.state).toEqual({ items: ['a'], total: 1 });
        expect(loaded?.takenAt.getTime()).toBe(snapshot(1).takenAt.getTime());
        (loaded!.state as { items: string[] }).items.push('c');
        loaded!.takenAt.setTime(0);
        const again = await store.load(stream());
        expect(again?.state).toEqual({ items: ['a'], total: 1 });
        expect(again?.takenAt.getTime()).toBe(snapshot(1).takenAt.getTime());
      });

      describe('arguments', () => {
        const malformed: [string, (base: StoredSnapshot) => unknown][] = [
          ['an empty aggregateType', (base) => ({ ...base, aggregateType: '' })],
          ['a missing aggregateId', ({ aggregateId: _, ...rest }) => rest],
          ['a negative version', (base) => ({ ...base, version: -1 })],
          ['a fractional version', (base) => ({ ...base, version: 1.5 })],
          ['a schemaVersion that is a string', (base) => ({ ...base, schemaVersion: '1' })],
          ['a takenAt that is a string', (base) => ({ ...base, takenAt: '2026-11-30T00:00:00Z' })],
          ['an invalid takenAt', (base) => ({ ...base, takenAt: new Date(Number.NaN) })],
          ['undefined state', (base) => ({ ...base, state: undefined })],
          ['state holding a bigint', (base) => ({ ...base, state: { big: 1n } })],
          ['null', () => null],
        ];
        for (const [what, make] of malformed) {
          it(`save refuses ${what} with InvalidArgumentError and stores nothing`, async () => {
            const error = await failureOf(() => store.save(stream(), make(snapshot(1)) as StoredSnapshot));
            expect(error).toBeInstanceOf(InvalidArgumentError);
            expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
            expect(await store.load(stream())).toBeUndefined();
          });
        }

        it('save and load refuse an empty stream name', async () => {
          expect(await failureOf(() => store.save('', snapshot(1)))).toBeInstanceOf(InvalidArgumentError);
          expect(await failureOf(() => store.load(''))).toBeInstanceOf(InvalidArgumentError);
        });
      });
    },
  );
}
