import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../../core/reactive-domain.error';
import type { KeyStore } from '../../persistence/key-store';
import { SubjectForgottenError } from '../../persistence/personal-data.errors';

/** How {@link keyStoreContract} gets the key store to test. */
export interface KeyStoreContractTarget {
  /** The key store under test (shared by the cases: each uses its own subjects). */
  create(): Promise<KeyStore> | KeyStore;
  /** Runs once after the suite (close connections, drop tables). */
  cleanup?(): Promise<void>;
}

type TestFn = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/**
 * The behaviour every {@link KeyStore} must have (versions, rotation, forgetting for good, concurrency), as a suite
 * for the host test framework (Jest, Vitest with globals, Mocha). Call it from a test file.
 */
export function keyStoreContract(name: string, target: KeyStoreContractTarget): void {
  const g = globalThis as Record<string, unknown>;
  const describe = g.describe as ((name: string, body: () => void) => void) | undefined;
  const it = g.it as TestFn | undefined;
  const afterAll = (g.afterAll ?? g.after) as ((fn: () => Promise<void>) => void) | undefined;
  if (!describe || !it || !afterAll)
    throw new Error(
      'keyStoreContract must be called from a test file (describe/it/afterAll globals not found)',
    );

  describe(`KeyStore contract: ${name}`, () => {
    let store: KeyStore | undefined;
    const keys = async (): Promise<KeyStore> => (store ??= await target.create());
    const subject = (): string => `subject-${randomUUID()}`;
    afterAll(async () => {
      await target.cleanup?.();
    });

    it('creates version 1 once, with 32 random bytes, and returns it again', async () => {
      const ks = await keys();
      const s = subject();
      const first = await ks.currentKey(s);
      assert.equal(first.version, 1);
      assert.equal(first.subject, s);
      assert.equal(first.key.length, 32);
      const again = await ks.currentKey(s);
      assert.equal(again.version, 1);
      assert.deepEqual(Buffer.from(again.key), Buffer.from(first.key));
      assert.deepEqual(Buffer.from((await ks.key(s, 1))!.key), Buffer.from(first.key));
      const other = await ks.currentKey(subject());
      assert.notDeepEqual(Buffer.from(other.key), Buffer.from(first.key));
      assert.equal(await ks.key(s, 2), undefined);
      assert.equal(await ks.key(subject(), 1), undefined);
      assert.equal(await ks.isForgotten(s), false);
    });

    it('rotation adds a version; older versions stay readable', async () => {
      const ks = await keys();
      const s = subject();
      const v1 = await ks.currentKey(s);
      const v2 = await ks.rotate(s);
      assert.equal(v2.version, 2);
      assert.equal((await ks.currentKey(s)).version, 2);
      assert.deepEqual(Buffer.from((await ks.key(s, 1))!.key), Buffer.from(v1.key));
      assert.notDeepEqual(Buffer.from(v2.key), Buffer.from(v1.key));
      assert.equal((await ks.rotate(subject())).version, 1); // rotating a new subject creates its first key
    });

    it('forgetting deletes every version for good and refuses new keys', async () => {
      const ks = await keys();
      const s = subject();
      const kept = subject();
      await ks.currentKey(s);
      await ks.rotate(s);
      await ks.currentKey(kept);
      await ks.forget(s);
      await ks.forget(s); // idempotent
      assert.equal(await ks.key(s, 1), undefined);
      assert.equal(await ks.key(s, 2), undefined);
      assert.equal(await ks.isForgotten(s), true);
      await assert.rejects(ks.currentKey(s), SubjectForgottenError);
      await assert.rejects(ks.rotate(s), SubjectForgottenError);
      assert.equal((await ks.key(kept, 1))?.version, 1);
      const never = subject();
      await ks.forget(never); // a subject without keys can be forgotten (and stays forgotten)
      await assert.rejects(ks.currentKey(never), SubjectForgottenError);
    });

    it('concurrent first writes get one and the same key', async () => {
      const ks = await keys();
      const s = subject();
      const all = await Promise.all(Array.from({ length: 8 }, () => ks.currentKey(s)));
      for (const key of all) {
        assert.equal(key.version, 1);
        assert.deepEqual(Buffer.from(key.key), Buffer.from(all[0]!.key));
      }
    });

    it('a key created while the subject is being forgotten does not survive the forgetting', async () => {
      const ks = await keys();
      const s = subject();
      const results = await Promise.allSettled([ks.currentKey(s), ks.forget(s), ks.currentKey(s)]);
      assert.equal(results[1]!.status, 'fulfilled');
      assert.equal(await ks.isForgotten(s), true);
      assert.equal(await ks.key(s, 1), undefined);
      for (const result of [results[0]!, results[2]!])
        if (result.status === 'rejected') assert.ok(result.reason instanceof SubjectForgottenError);
    });

    it('rejects a blank subject and a bad version', async () => {
      const ks = await keys();
      await assert.rejects(ks.currentKey(''), InvalidArgumentError);
      await assert.rejects(ks.forget(''), InvalidArgumentError);
      await assert.rejects(ks.key(subject(), 0), InvalidArgumentError);
      await assert.rejects(ks.key(subject(), 1.5), InvalidArgumentError);
    });
  });
}
