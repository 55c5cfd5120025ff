import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EventTypeRegistry, PersonalDataSpec } from '../core/event-type-registry';
import { REDACTED_FIELD_KEY, type RedactionMarker } from '../core/redacted';
import type { KeyStore, SubjectKey } from './key-store';
import {
  EncryptionKeyNotFoundError,
  PersonalDataSubjectError,
  PersonalDataTamperedError,
  SubjectForgottenError,
} from './personal-data.errors';
import type { EventData, RecordedEvent } from './stream-store';

/** Key of the envelope object that replaces an encrypted field's value in stored JSON. */
export const ENCRYPTED_FIELD_KEY = '$rdEnc';

/**
 * How an encrypted field is stored: `{"$rdEnc":1,"kv":<key version>,"iv":"<12-byte nonce, base64>",
 * "ct":"<ciphertext, base64>","tag":"<16-byte GCM tag, base64>"}`. The plaintext is the field's JSON text; the
 * additional authenticated data binds the event type, the field name, the subject id and the key version, so a
 * ciphertext moved to another field, type or subject fails authentication.
 */
export interface EncryptedField {
  /** Envelope format version (1). */
  readonly [ENCRYPTED_FIELD_KEY]: 1;
  /** Version of the subject's key that encrypted it. */
  readonly kv: number;
  /** The 96-bit nonce, base64. Fresh for every field of every event. */
  readonly iv: string;
  /** The ciphertext, base64. */
  readonly ct: string;
  /** The 128-bit authentication tag, base64. */
  readonly tag: string;
}

/** True when a stored JSON value is an encrypted-field envelope. */
export function isEncryptedField(value: unknown): value is EncryptedField {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, ENCRYPTED_FIELD_KEY);
}

/** True when a stored JSON value is the redaction marker. */
export function isRedactionMarker(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, REDACTED_FIELD_KEY);
}

/** The redaction marker as stored JSON. */
export function redactionMarker(): RedactionMarker {
  return { [REDACTED_FIELD_KEY]: 'forgotten' };
}

/** Options of {@link PersonalDataCipher}. */
export interface PersonalDataCipherOptions {
  /** Where the types and their personal fields are registered. */
  readonly registry: EventTypeRegistry;
  /** Where the per-subject keys live. */
  readonly keyStore: KeyStore;
}

const ALGORITHM = 'aes-256-gcm';
const AAD_PREFIX = 'reactive-domain/personal-data/v1';

/**
 * Encrypts the personal fields of serialized events (AES-256-GCM, `node:crypto`) with their subject's key, and
 * decrypts them again; a field whose subject was forgotten decrypts to the redaction marker, which the serializer
 * restores as a `Redacted`. Works on {@link EventData} / {@link RecordedEvent} JSON text, so it fits any store (see
 * `encryptPersonalData`) and any reader of stored events (a transport's receiving side included).
 *
 * Only events of types registered with `personal` are touched; every other event passes through as it is.
 */
export class PersonalDataCipher {
  readonly #registry: EventTypeRegistry;
  readonly #keyStore: KeyStore;

  constructor(options: PersonalDataCipherOptions) {
    this.#registry = options.registry;
    this.#keyStore = options.keyStore;
  }

  /** The key store in use. */
  get keyStore(): KeyStore {
    return this.#keyStore;
  }

  /**
   * Returns `data` with its personal fields encrypted (the same object when its type has none). Throws
   * {@link PersonalDataSubjectError} when the subject field is missing or not a non-empty string, and
   * {@link SubjectForgottenError} when the subject was forgotten and a personal field holds a value.
   */
  async encrypt(data: EventData): Promise<EventData> {
    const spec = this.#registry.entryOfName(data.type)?.personal;
    if (spec === undefined) return data;
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(data.data) as Record<string, unknown>;
    } catch {
      throw new PersonalDataSubjectError(data.type, spec.subject, 'cannot be read: the payload is not JSON');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw new PersonalDataSubjectError(
        data.type,
        spec.subject,
        'cannot be read: the payload is not an object',
      );
    const fields = spec.fields.filter(
      (field) =>
        Object.hasOwn(payload, field) &&
        !isRedactionMarker(payload[field]) &&
        !isEncryptedField(payload[field]),
    );
    if (fields.length === 0) return data;
    const subject = subjectOf(payload, spec, data.type);
    let key;
    try {
      key = await this.#keyStore.currentKey(subject);
    } catch (error) {
      if (error instanceof SubjectForgottenError) throw new SubjectForgottenError(data.type, subject);
      throw error;
    }
    for (const field of fields) {
      payload[field] = sealText(
        key,
        additionalData(data.type, field, subject, key.version),
        JSON.stringify(payload[field]),
      );
    }
    return { ...data, data: JSON.stringify(payload) };
  }

  /**
   * Returns `recorded` with its encrypted fields decrypted (the same object when there are none): a field of a
   * forgotten subject becomes the redaction marker. Throws {@link PersonalDataTamperedError} when a field fails
   * authentication (changed ciphertext, nonce, tag, subject, type or field; wrong key) or its envelope is malformed,
   * and {@link EncryptionKeyNotFoundError} when the key is missing although the subject was never forgotten. A
   * payload that is not a JSON object is passed on untouched (the serializer reports it).
   */
  async decrypt(recorded: RecordedEvent): Promise<RecordedEvent> {
    const spec = this.#registry.entryOfName(recorded.type)?.personal;
    // Quick exit: no envelope can be in text that lacks its key.
    if (spec === undefined || !recorded.data.includes(ENCRYPTED_FIELD_KEY)) return recorded;
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(recorded.data) as Record<string, unknown>;
    } catch {
      return recorded;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return recorded;
    let subject: string | undefined;
    let changed = false;
    for (const field of Object.keys(payload)) {
      const envelope = payload[field];
      if (!isEncryptedField(envelope)) continue;
      const tampered = (reason: string, cause?: unknown): PersonalDataTamperedError =>
        new PersonalDataTamperedError(
          recorded.streamName,
          recorded.revision,
          recorded.type,
          field,
          reason,
          cause === undefined ? undefined : { cause },
        );
      if (subject === undefined) {
        const value = payload[spec.subject];
        if (typeof value !== 'string' || value.length === 0)
          throw tampered(`the subject field ${spec.subject} is missing or not a non-empty string`);
        subject = value;
      }
      const kv = envelopeKeyVersion(envelope);
      if (kv === undefined) throw tampered('the envelope is malformed');
      const key = await this.#keyStore.key(subject, kv);
      if (key === undefined) {
        if (!(await this.#keyStore.isForgotten(subject)))
          throw new EncryptionKeyNotFoundError(
            recorded.streamName,
            recorded.revision,
            recorded.type,
            field,
            kv,
            subject,
          );
        payload[field] = redactionMarker();
        changed = true;
        continue;
      }
      const plaintext = openText(key, additionalData(recorded.type, field, subject, kv), envelope);
      if (typeof plaintext !== 'string') throw tampered(plaintext.reason, plaintext.cause);
      try {
        payload[field] = JSON.parse(plaintext);
      } catch (error) {
        throw tampered('the decrypted value is not JSON', error);
      }
      changed = true;
    }
    return changed ? { ...recorded, data: JSON.stringify(payload) } : recorded;
  }

  /** Forgets `subject`: deletes its keys, so its personal fields read as `Redacted` from now on. */
  forget(subject: string): Promise<void> {
    return this.#keyStore.forget(subject);
  }
}

/**
 * Encrypts `plaintext` with `key` (AES-256-GCM, fresh 96-bit nonce) bound to `aad`.
 * @internal shared by the event cipher and the snapshot encryption
 */
export function sealText(key: SubjectKey, aad: Buffer, plaintext: string): EncryptedField {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key.key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    [ENCRYPTED_FIELD_KEY]: 1,
    kv: key.version,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/**
 * The key version of a well-formed envelope, or undefined when it is malformed.
 * @internal
 */
export function envelopeKeyVersion(envelope: EncryptedField): number | undefined {
  const { kv, iv, ct, tag } = envelope as unknown as Record<string, unknown>;
  const ok =
    envelope[ENCRYPTED_FIELD_KEY] === 1 &&
    typeof kv === 'number' &&
    Number.isSafeInteger(kv) &&
    kv >= 1 &&
    typeof iv === 'string' &&
    typeof ct === 'string' &&
    typeof tag === 'string';
  return ok ? kv : undefined;
}

/**
 * Decrypts an envelope; returns the plaintext, or why it is not authentic (never throws for bad input).
 * @internal shared by the event cipher and the snapshot encryption
 */
export function openText(
  key: SubjectKey,
  aad: Buffer,
  envelope: EncryptedField,
): string | { readonly reason: string; readonly cause?: unknown } {
  const nonce = Buffer.from(envelope.iv, 'base64');
  const authTag = Buffer.from(envelope.tag, 'base64');
  if (nonce.length !== 12 || authTag.length !== 16)
    return { reason: 'the nonce or tag has the wrong length' };
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch (cause) {
    // GCM tells no more than "not authentic": a changed byte and a wrong key look the same, on purpose.
    return { reason: 'authentication failed (tampered data or wrong key)', cause };
  }
}

function subjectOf(payload: Record<string, unknown>, spec: PersonalDataSpec, typeName: string): string {
  const subject = payload[spec.subject];
  if (typeof subject !== 'string' || subject.length === 0)
    throw new PersonalDataSubjectError(
      typeName,
      spec.subject,
      subject === undefined ? 'is missing' : 'must be a non-empty string',
    );
  return subject;
}

function additionalData(typeName: string, field: string, subject: string, keyVersion: number): Buffer {
  // NUL separators: no type, field or subject can shift bytes into its neighbour.
  return Buffer.from(`${AAD_PREFIX}\0${typeName}\0${field}\0${subject}\0${keyVersion}`, 'utf8');
}
