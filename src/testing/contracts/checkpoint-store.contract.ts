import { InvalidArgumentError } from '../../core/reactive-domain.error';
import type { Checkpoint } from '../../foundation/subscriptions/checkpoint';
import type { CheckpointStore } from '../../foundation/subscriptions/checkpoint-store';
import { failureOf, type ContractOptions, type StoreFactory } from './contract-support';
import { describeContract } from './jest-globals';

/** Options of {@link checkpointStoreContract}: the knobs every contract suite takes (timeouts). */
export type CheckpointStoreContractOptions = ContractOptions;

/** The largest `$all` position the suite stores: 2^63 - 1, the top of a signed 64-bit column. */
const MAX_POSITION = 2n ** 63n - 1n;

/**
 * Registers the {@link CheckpointStore} contract for one store:
 * - `load` of a model with no checkpoint is an empty map; `save` then `load` returns every source's checkpoint, of
 *   both kinds (`stream` revisions up to `Number.MAX_SAFE_INTEGER`, `$all` positions as `bigint` beyond 2^53 up to
 *   2^63 - 1, kept exactly);
 * - a later `save` of one source replaces its checkpoint, and may change its kind;
 * - models are isolated, including names that are prefixes of each other and equal source keys; `delete` forgets
 *   one model's checkpoints only, is a no-op for an unknown model, and the model can be saved again after it;
 * - concurrent saves: of different sources all land; of one source leave exactly one of the saved values;
 * - malformed arguments (empty model or source key, a negative, fractional or mistyped revision or position, an
 *   unknown kind) are refused with `InvalidArgumentError` (code `INVALID_ARGUMENT`) and store nothing.
 *
 * **Runs under Jest**: call it at the top level of a Jest test file (it uses Jest's globals; see
 * `streamStoreContract`). `factory` is called once for the suite; every test uses model names under a fresh prefix,
 * so the store may hold other data.
 *
 * @example
 * import { checkpointStoreContract } from 'reactive-domain/testing';
 * checkpointStoreContract('MyCheckpointStore', () => ({ store: new MyCheckpointStore(db) }));
 */
export function checkpointStoreContract(
  name: string,
  factory: StoreFactory<CheckpointStore>,
  options: CheckpointStoreContractOptions = {},
): void {
  let store!: CheckpointStore;
  let prefix!: string;
  const fixture = {
    store: (made: CheckpointStore) => (store = made),
    eachTest: (fresh: string) => (prefix = fresh),
  };

  describeContract(
    `CheckpointStore contract: ${name}`,
    factory,
    options,
    fixture,
    ({ describe, it, expect }) => {
      const model = (suffix = 'm') => `${prefix}-${suffix}`;
      const entries = async (m: string) =>
        [...(await store.load(m)).entries()].sort(([a], [b]) => (a < b ? -1 : 1));

      it('a model with no checkpoint loads as an empty map', async () => {
        const loaded = await store.load(model());
        expect(loaded.size).toBe(0);
        expect([...loaded.entries()]).toEqual([]);
      });

      it('save then load returns each source’s checkpoint, keyed by source key', async () => {
        await store.save(model(), 'stream:account-1', { kind: 'stream', revision: 0 });
        await store.save(model(), '$all', { kind: 'all', position: 0n });
        await store.save(model(), 'category:order', { kind: 'all', position: 4096n });
        expect(await entries(model())).toEqual([
          ['$all', { kind: 'all', position: 0n }],
          ['category:order', { kind: 'all', position: 4096n }],
          ['stream:account-1', { kind: 'stream', revision: 0 }],
        ]);
      });

      it('keeps revisions up to Number.MAX_SAFE_INTEGER and bigint positions beyond 2^53 exactly', async () => {
        const beyond = 2n ** 53n + 1n; // not representable as a number: would round to 2^53
        await store.save(model(), 'stream', { kind: 'stream', revision: Number.MAX_SAFE_INTEGER });
        await store.save(model(), 'beyond', { kind: 'all', position: beyond });
        await store.save(model(), 'max', { kind: 'all', position: MAX_POSITION });
        const loaded = await store.load(model());
        expect(loaded.get('stream')).toEqual({ kind: 'stream', revision: Number.MAX_SAFE_INTEGER });
        const kept = loaded.get('beyond');
        expect(kept).toEqual({ kind: 'all', position: beyond });
        expect(typeof (kept as { position?: unknown } | undefined)?.position).toBe('bigint');
        expect(loaded.get('max')).toEqual({ kind: 'all', position: MAX_POSITION });
      });

      it('a later save replaces the source’s checkpoint, also with another kind', async () => {
        await store.save(model(), 'src', { kind: 'stream', revision: 3 });
        await store.save(model(), 'src', { kind: 'stream', revision: 9 });
        expect(await entries(model())).toEqual([['src', { kind: 'stream', revision: 9 }]]);
        await store.save(model(), 'src', { kind: 'all', position: 12n });
        expect(await entries(model())).toEqual([['src', { kind: 'all', position: 12n }]]);
      });

      it('models are isolated: same source keys, names that prefix each other', async () => {
        await store.save(model('a'), 'src', { kind: 'stream', revision: 1 });
        await store.save(model('a-1'), 'src', { kind: 'stream', revision: 2 });
        await store.save(model('A'), 'src', { kind: 'stream', revision: 3 });
        expect(await entries(model('a'))).toEqual([['src', { kind: 'stream', revision: 1 }]]);
        expect(await entries(model('a-1'))).toEqual([['src', { kind: 'stream', revision: 2 }]]);
        expect(await entries(model('A'))).toEqual([['src', { kind: 'stream', revision: 3 }]]);
        expect(await entries(model('b'))).toEqual([]);
      });

      it('delete forgets one model’s checkpoints only; the model can be saved again', async () => {
        await store.save(model('a'), 'one', { kind: 'stream', revision: 1 });
        await store.save(model('a'), 'two', { kind: 'all', position: 2n });
        await store.save(model('a-1'), 'one', { kind: 'stream', revision: 5 });
        await store.delete(model('a'));
        expect(await entries(model('a'))).toEqual([]);
        expect(await entries(model('a-1'))).toEqual([['one', { kind: 'stream', revision: 5 }]]);
        await store.save(model('a'), 'one', { kind: 'stream', revision: 0 });
        expect(await entries(model('a'))).toEqual([['one', { kind: 'stream', revision: 0 }]]);
      });

      it('deleting a model with no checkpoint succeeds', async () => {
        await store.delete(model('never'));
        expect(await entries(model('never'))).toEqual([]);
      });

      it('concurrent saves of different sources all land', async () => {
        const keys = Array.from({ length: 20 }, (_, i) => `src-${String(i).padStart(2, '0')}`);
        await Promise.all(keys.map((key, i) => store.save(model(), key, { kind: 'stream', revision: i })));
        expect(await entries(model())).toEqual(keys.map((key, i) => [key, { kind: 'stream', revision: i }]));
      });

      it('concurrent saves of one source leave exactly one of the saved checkpoints; a later save wins', async () => {
        const saved: Checkpoint[] = Array.from({ length: 10 }, (_, i) => ({
          kind: 'all',
          position: 2n ** 60n + BigInt(i),
        }));
        await Promise.all(saved.map((checkpoint) => store.save(model(), 'src', checkpoint)));
        const loaded = await entries(model());
        expect(loaded).toHaveLength(1);
        const kept = loaded[0]![1];
        expect(saved.some((checkpoint) => equalCheckpoints(checkpoint, kept))).toBe(true);
        await store.save(model(), 'src', { kind: 'stream', revision: 7 });
        expect(await entries(model())).toEqual([['src', { kind: 'stream', revision: 7 }]]);
      });

      describe('arguments', () => {
        const malformed: [string, unknown][] = [
          ['a negative revision', { kind: 'stream', revision: -1 }],
          ['a fractional revision', { kind: 'stream', revision: 1.5 }],
          ['a revision beyond Number.MAX_SAFE_INTEGER', { kind: 'stream', revision: 2 ** 53 }],
          ['a revision that is a string', { kind: 'stream', revision: '3' }],
          ['a position that is a number', { kind: 'all', position: 5 }],
          ['a position that is a string', { kind: 'all', position: '5' }],
          ['a negative position', { kind: 'all', position: -1n }],
          ['an unknown kind', { kind: 'global', position: 5n }],
          ['null', null],
        ];
        for (const [what, checkpoint] of malformed) {
          it(`save refuses ${what} with InvalidArgumentError and stores nothing`, async () => {
            const error = await failureOf(() => store.save(model(), 'src', checkpoint as Checkpoint));
            expect(error).toBeInstanceOf(InvalidArgumentError);
            expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
            expect(await entries(model())).toEqual([]);
          });
        }

        it('save refuses an empty model or source key', async () => {
          for (const call of [
            () => store.save('', 'src', { kind: 'stream', revision: 1 }),
            () => store.save(model(), '', { kind: 'stream', revision: 1 }),
            () => store.save(undefined as never, 'src', { kind: 'stream', revision: 1 }),
          ]) {
            expect(await failureOf(call)).toBeInstanceOf(InvalidArgumentError);
          }
          expect(await entries(model())).toEqual([]);
        });

        it('load and delete refuse an empty model', async () => {
          expect(await failureOf(() => store.load(''))).toBeInstanceOf(InvalidArgumentError);
          expect(await failureOf(() => store.delete(''))).toBeInstanceOf(InvalidArgumentError);
        });
      });
    },
  );
}

function equalCheckpoints(a: Checkpoint, b: Checkpoint): boolean {
  if (a.kind === 'stream') return b.kind === 'stream' && a.revision === b.revision;
  return b.kind === 'all' && a.position === b.position;
}
