import type { EventTypeRegistry } from '../core/event-type-registry';
import type { ExpectedVersion } from './expected-version';
import type { KeyStore } from './key-store';
import { PersonalDataCipher } from './personal-data-cipher';
import type {
  AllSlice,
  AppendResult,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from './stream-store';

/** Options of {@link encryptPersonalData}. */
export interface EncryptPersonalDataOptions {
  /** Where the event types and their `personal` fields are registered. */
  readonly registry: EventTypeRegistry;
  /** Where the per-subject keys live. */
  readonly keyStore: KeyStore;
}

/**
 * A {@link StreamStore} that encrypts personal fields on append and decrypts them on every read and subscription,
 * around any other store. What the inner store holds (and what anything reading it directly sees: backups, the
 * CLI, a log forwarder given the inner store) is ciphertext. Events without personal fields pass through untouched.
 * Build it with {@link encryptPersonalData}.
 */
export class EncryptingStreamStore implements StreamStore {
  /** The cipher used for every event (also usable on its own, e.g. by a transport's receiving side). */
  readonly cipher: PersonalDataCipher;

  constructor(
    /** The store that holds the ciphertext. */
    readonly inner: StreamStore,
    options: EncryptPersonalDataOptions,
  ) {
    this.cipher = new PersonalDataCipher(options);
  }

  /** Encrypts, then appends: a failure to encrypt any event appends none. */
  async appendToStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    const encrypted: EventData[] = [];
    // One at a time: the first event creates a subject's key, the next ones reuse it.
    for (const event of events) encrypted.push(await this.cipher.encrypt(event));
    return this.inner.appendToStream(streamName, expectedVersion, encrypted);
  }

  /** Reads from the inner store and decrypts. */
  async readStream(streamName: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    const result = await this.inner.readStream(streamName, options);
    if (result.status !== 'ok') return result;
    const events = [];
    for (const event of result.events) events.push(await this.cipher.decrypt(event));
    return { ...result, events };
  }

  /** Reads from the inner store and decrypts. */
  async readAll(options?: ReadAllOptions): Promise<AllSlice> {
    const slice = await this.inner.readAll(options);
    const events = [];
    for (const event of slice.events) events.push(await this.cipher.decrypt(event));
    return { ...slice, events };
  }

  /** Subscribes to the inner store; each event is decrypted before `onEvent` (a failure drops the subscription). */
  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    return this.inner.subscribeToStream(streamName, options, this.#decrypting(handlers));
  }

  /** Subscribes to the inner store; each event is decrypted before `onEvent` (a failure drops the subscription). */
  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    return this.inner.subscribeToAll(options, this.#decrypting(handlers));
  }

  /** As the inner store. */
  deleteStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    return this.inner.deleteStream(streamName, expectedVersion);
  }

  /** As the inner store. */
  tombstoneStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    return this.inner.tombstoneStream(streamName, expectedVersion);
  }

  /** Closes the inner store. */
  close(): Promise<void> {
    return this.inner.close();
  }

  /** Forgets `subject` (deletes its keys): its personal fields read as `Redacted` from now on, everywhere. */
  forget(subject: string): Promise<void> {
    return this.cipher.forget(subject);
  }

  #decrypting(handlers: SubscriptionHandlers): SubscriptionHandlers {
    // Malformed handlers go through unwrapped: the inner store's argument check reports them.
    if (typeof handlers !== 'object' || handlers === null || typeof handlers.onEvent !== 'function')
      return handlers;
    const cipher = this.cipher;
    return {
      onEvent: async (event) => handlers.onEvent(await cipher.decrypt(event)),
      ...(handlers.onLive ? { onLive: () => handlers.onLive!() } : {}),
      ...(handlers.onDropped ? { onDropped: (error) => handlers.onDropped!(error) } : {}),
    };
  }
}

/**
 * Wraps `store` so that the personal fields of registered types (`registry.register(T, name, { personal: { subject,
 * fields } })`) are stored encrypted with their subject's key (AES-256-GCM) and read back in clear — or as
 * `Redacted` once the subject was forgotten (`store.forget(subject)`).
 *
 * @example
 * ```ts
 * const store = encryptPersonalData(new InMemoryStreamStore(), { registry, keyStore: new InMemoryKeyStore() });
 * await store.forget(customerId); // CustomerRegistered.email now reads as a Redacted
 * ```
 */
export function encryptPersonalData(
  store: StreamStore,
  options: EncryptPersonalDataOptions,
): EncryptingStreamStore {
  return new EncryptingStreamStore(store, options);
}
