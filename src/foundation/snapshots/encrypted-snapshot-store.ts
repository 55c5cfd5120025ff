import { ReactiveDomainError } from '../../core/reactive-domain.error';
import { reviveRedacted } from '../../core/redacted';
import type { KeyStore } from '../../persistence/key-store';
import {
  envelopeKeyVersion,
  isEncryptedField,
  openText,
  sealText,
  type EncryptedField,
} from '../../persistence/personal-data-cipher';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store';

/** An encrypted snapshot failed authentication (tampered, moved to another stream or version, or a wrong key). */
export class SnapshotDecryptionError extends ReactiveDomainError {
  readonly code = 'SNAPSHOT_DECRYPTION_FAILED';
  constructor(
    /** The aggregate stream whose snapshot was loaded. */
    readonly streamName: string,
    /** What is wrong, in words (never the state). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Snapshot of stream ${JSON.stringify(streamName)} cannot be decrypted: ${reason}`, options);
  }
}

/** Options of {@link encryptSnapshots}. */
export interface EncryptSnapshotsOptions {
  /** Where the subjects' keys live (the same store as the events' personal fields). */
  readonly keyStore: KeyStore;
  /**
   * The subject whose key encrypts a snapshot's state (default: the aggregate id — right for an aggregate per data
   * owner, such as a customer). It must decide from the snapshot's identity (type, id, stream), not its state: on load
   * it is called to check that a snapshot stored in clear was meant to be. Return undefined to store that snapshot's state in clear (it holds no personal data).
   */
  readonly subjectOf?: (snapshot: StoredSnapshot, streamName: string) => string | undefined;
}

/** What an encrypted snapshot's `state` holds. */
interface SealedState {
  readonly $rdSealedState: EncryptedField & { readonly subject: string };
}

/**
 * Snapshots hold an aggregate's state, and an aggregate that applied personal fields holds them in its state: so a
 * snapshot store in front of personal data must encrypt. This wraps any {@link SnapshotStore}: the whole state is
 * encrypted (AES-256-GCM) with the subject's key, bound to the stream, aggregate, version and subject. Once the
 * subject is forgotten the snapshot cannot be decrypted and loads as "no snapshot": the repository replays the
 * events, whose personal fields read as `Redacted`. A snapshot taken after forgetting is refused by the key store
 * (the repository reports `snapshot-save-failed` and carries on). `Redacted` values in state round-trip.
 */
export function encryptSnapshots(inner: SnapshotStore, options: EncryptSnapshotsOptions): SnapshotStore {
  const { keyStore } = options;
  const subjectOf = options.subjectOf ?? ((snapshot: StoredSnapshot) => snapshot.aggregateId);
  const aad = (streamName: string, s: StoredSnapshot, subject: string, kv: number): Buffer =>
    Buffer.from(
      [
        'reactive-domain/snapshot/v1',
        streamName,
        s.aggregateType,
        s.aggregateId,
        s.version,
        s.schemaVersion,
        subject,
        kv,
      ].join('\0'),
      'utf8',
    );
  return {
    async save(streamName, snapshot) {
      const subject = subjectOf(snapshot, streamName);
      if (subject === undefined) return inner.save(streamName, snapshot);
      const key = await keyStore.currentKey(subject);
      const sealed: SealedState = {
        $rdSealedState: {
          ...sealText(key, aad(streamName, snapshot, subject, key.version), JSON.stringify(snapshot.state)),
          subject,
        },
      };
      return inner.save(streamName, { ...snapshot, state: sealed });
    },
    async load(streamName) {
      const snapshot = await inner.load(streamName);
      if (snapshot === undefined) return undefined;
      const sealed = (snapshot.state as Partial<SealedState> | null)?.$rdSealedState;
      if (sealed === undefined || !isEncryptedField(sealed)) {
        // A clear snapshot is only acceptable where subjectOf says it holds no personal data.
        if (subjectOf(snapshot, streamName) === undefined) return snapshot;
        throw new SnapshotDecryptionError(
          streamName,
          'the snapshot is not encrypted but its aggregate has a subject',
        );
      }
      const kv = envelopeKeyVersion(sealed);
      if (kv === undefined || typeof sealed.subject !== 'string' || sealed.subject.length === 0)
        throw new SnapshotDecryptionError(streamName, 'the envelope is malformed');
      const key = await keyStore.key(sealed.subject, kv);
      if (key === undefined) {
        if (await keyStore.isForgotten(sealed.subject)) return undefined; // forgotten: replay the (redacted) events
        throw new SnapshotDecryptionError(
          streamName,
          `no key version ${kv} for its subject (is this the right key store?)`,
        );
      }
      const plaintext = openText(key, aad(streamName, snapshot, sealed.subject, kv), sealed);
      if (typeof plaintext !== 'string')
        throw new SnapshotDecryptionError(streamName, plaintext.reason, { cause: plaintext.cause });
      return { ...snapshot, state: JSON.parse(plaintext, reviveRedacted) as unknown };
    },
  };
}
