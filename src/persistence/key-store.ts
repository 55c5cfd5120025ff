import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { SubjectForgottenError } from './personal-data.errors';

/** One version of a subject's data key (AES-256: 32 bytes). */
export interface SubjectKey {
  /** The data owner the key belongs to (e.g. a customer id). */
  readonly subject: string;
  /** 1-based key version; a rotation adds the next one. */
  readonly version: number;
  /** The 32 key bytes. Never log them. */
  readonly key: Uint8Array;
}

/**
 * Where per-subject data keys live (the port; `InMemoryKeyStore` here, SQL ones in their adapters).
 *
 * A subject has versions 1..n of its key; new writes use the newest ({@link currentKey}), reads use the version
 * stored with each field ({@link key}). **Rotation** ({@link rotate}) adds a version: new writes use it, data written
 * with older versions stays readable with them (re-encrypting old events is not needed, and not possible in an
 * append-only log). **Forgetting** ({@link forget}) deletes every version and remembers the subject as forgotten:
 * its encrypted fields then read as `Redacted`, and writing new personal data for it is refused.
 */
export interface KeyStore {
  /** The newest key of `subject`, creating version 1 if it has none. Throws `SubjectForgottenError` when forgotten. */
  currentKey(subject: string): Promise<SubjectKey>;
  /** Version `version` of `subject`'s key, or undefined when it is not held (forgotten, or never created). */
  key(subject: string, version: number): Promise<SubjectKey | undefined>;
  /** True when {@link forget} was called for `subject`. */
  isForgotten(subject: string): Promise<boolean>;
  /** Adds a new key version for `subject` and returns it. Throws `SubjectForgottenError` when forgotten. */
  rotate(subject: string): Promise<SubjectKey>;
  /** Deletes every key version of `subject` for good (crypto-shredding). Idempotent. */
  forget(subject: string): Promise<void>;
}

/** Checks a subject id handed to a key store. */
export function checkSubject(subject: unknown, operation: string): string {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 512)
    throw new InvalidArgumentError(
      `${operation}: subject must be a non-empty string (at most 512 characters), got ${typeof subject === 'string' ? `a string of ${subject.length} characters` : describeValue(subject)}`,
    );
  return subject;
}

/** Checks a key version handed to a key store. */
export function checkKeyVersion(version: unknown, operation: string): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new InvalidArgumentError(
      `${operation}: key version must be a positive integer, got ${describeValue(version)}`,
    );
  return version;
}

/** A fresh random AES-256 key. */
export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/**
 * A {@link KeyStore} in process memory: for tests and single-process tools. Its keys die with the process, and so
 * does the encrypted data's readability: use a durable key store (SQLite, PostgreSQL) for data that must outlive it.
 */
export class InMemoryKeyStore implements KeyStore {
  readonly #keys = new Map<string, SubjectKey[]>();
  readonly #forgotten = new Set<string>();

  /** {@inheritDoc KeyStore.currentKey} */
  currentKey(subject: string): Promise<SubjectKey> {
    try {
      checkSubject(subject, 'KeyStore.currentKey');
      const versions = this.#versionsOf(subject, 'currentKey');
      return Promise.resolve(versions.at(-1) ?? this.#add(subject));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** {@inheritDoc KeyStore.key} */
  key(subject: string, version: number): Promise<SubjectKey | undefined> {
    try {
      checkSubject(subject, 'KeyStore.key');
      checkKeyVersion(version, 'KeyStore.key');
      return Promise.resolve(this.#keys.get(subject)?.[version - 1]);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** {@inheritDoc KeyStore.isForgotten} */
  isForgotten(subject: string): Promise<boolean> {
    try {
      return Promise.resolve(this.#forgotten.has(checkSubject(subject, 'KeyStore.isForgotten')));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** {@inheritDoc KeyStore.rotate} */
  rotate(subject: string): Promise<SubjectKey> {
    try {
      checkSubject(subject, 'KeyStore.rotate');
      this.#versionsOf(subject, 'rotate');
      return Promise.resolve(this.#add(subject));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** {@inheritDoc KeyStore.forget} */
  forget(subject: string): Promise<void> {
    try {
      checkSubject(subject, 'KeyStore.forget');
      // Dropped, not overwritten: a read that already holds the key finishes with it rather than failing as
      // "tampered" (JavaScript cannot promise wiped memory anyway).
      this.#keys.delete(subject);
      this.#forgotten.add(subject);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  #versionsOf(subject: string, operation: string): SubjectKey[] {
    if (this.#forgotten.has(subject)) throw new SubjectForgottenError(`(KeyStore.${operation})`, subject);
    return this.#keys.get(subject) ?? [];
  }

  #add(subject: string): SubjectKey {
    const versions = this.#keys.get(subject) ?? [];
    const key: SubjectKey = Object.freeze({ subject, version: versions.length + 1, key: newDataKey() });
    versions.push(key);
    this.#keys.set(subject, versions);
    return key;
  }
}
