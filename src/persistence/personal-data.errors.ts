import { ReactiveDomainError } from '../core/reactive-domain.error';

/*
 * Messages here never hold a personal value, a key or a subject id: they name the stream, revision, type and field
 * only. The subject is available as a property for code that needs it.
 */

/** A stored encrypted field failed authentication: the ciphertext, nonce, tag or what they are bound to was changed, or the key is not the one it was written with. */
export class PersonalDataTamperedError extends ReactiveDomainError {
  readonly code = 'PERSONAL_DATA_TAMPERED';
  constructor(
    /** The stream the event was read from. */
    readonly streamName: string,
    /** 0-based revision of the event in that stream. */
    readonly revision: number,
    /** The stored type name. */
    readonly typeName: string,
    /** The encrypted field. */
    readonly field: string,
    /** What is wrong, in words (never the value). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Personal field ${field} of ${typeName} at revision ${revision} of stream ${JSON.stringify(streamName)} ` +
        `cannot be decrypted: ${reason}`,
      options,
    );
  }
}

/**
 * A stored encrypted field names a key version the key store does not hold although its subject was never
 * forgotten (a lost or wrong key store). Never read as "redacted": only forgetting redacts.
 */
export class EncryptionKeyNotFoundError extends ReactiveDomainError {
  readonly code = 'ENCRYPTION_KEY_NOT_FOUND';
  constructor(
    /** The stream the event was read from. */
    readonly streamName: string,
    /** 0-based revision of the event in that stream. */
    readonly revision: number,
    /** The stored type name. */
    readonly typeName: string,
    /** The encrypted field. */
    readonly field: string,
    /** The key version the field was written with. */
    readonly keyVersion: number,
    /** The subject whose key is missing (not part of the message). */
    readonly subject: string,
  ) {
    super(
      `No key version ${keyVersion} for the subject of ${typeName} at revision ${revision} of stream ` +
        `${JSON.stringify(streamName)} (field ${field}), and the subject was not forgotten: is this the right key store?`,
    );
  }
}

/** Personal data was written for a subject that has been forgotten: nothing was written. */
export class SubjectForgottenError extends ReactiveDomainError {
  readonly code = 'SUBJECT_FORGOTTEN';
  constructor(
    /** The stored type name of the refused event. */
    readonly typeName: string,
    /** The forgotten subject (not part of the message). */
    readonly subject: string,
  ) {
    super(
      `Cannot write personal data of ${typeName}: its subject was forgotten (write a Redacted value, or nothing)`,
    );
  }
}

/** An event of a type with personal fields has no usable subject id, or its payload cannot be read for encryption. */
export class PersonalDataSubjectError extends ReactiveDomainError {
  readonly code = 'PERSONAL_DATA_SUBJECT_INVALID';
  constructor(
    /** The stored type name. */
    readonly typeName: string,
    /** The subject field named in the registration. */
    readonly subjectField: string,
    /** What is wrong, in words (never a value). */
    readonly reason: string,
  ) {
    super(`Cannot encrypt personal data of ${typeName}: subject field ${subjectField} ${reason}`);
  }
}

/** A key store was given a blank subject or a bad key version, or holds a malformed key. */
export class KeyStoreError extends ReactiveDomainError {
  readonly code = 'KEY_STORE_FAILED';
}
