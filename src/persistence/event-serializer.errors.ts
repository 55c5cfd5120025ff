import { ReactiveDomainError } from '../core/reactive-domain.error';

/**
 * An event could not be serialised: a field holds a value JSON cannot carry faithfully (a `Date`, `bigint`, class
 * instance, `Map`, non-finite number... without a field schema), the message id is not a UUID, or the context is
 * malformed. Thrown at serialize time so nothing is stored that would read back differently.
 */
export class EventSerializationError extends ReactiveDomainError {
  readonly code = 'EVENT_SERIALIZATION_FAILED';
  constructor(
    /** Registered type name (or the class name when the type is not known). */
    readonly typeName: string,
    /** Path of the offending field, e.g. `lines[2].price`; undefined when the problem is not one field. */
    readonly field: string | undefined,
    /** What is wrong, in words (also part of the message). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot serialize event ${typeName}${field !== undefined ? ` field ${field}` : ''}: ${reason}`,
      options,
    );
  }
}

/**
 * A stored event could not be turned back into an event: malformed JSON, a payload or metadata that is not an
 * object, a key that could touch prototypes (`__proto__`, `constructor`, `prototype`), a field that does not fit
 * its schema, a failing upcaster. Names the stream, revision and type.
 */
export class EventDeserializationError extends ReactiveDomainError {
  readonly code: string = 'EVENT_DESERIALIZATION_FAILED';
  constructor(
    /** The stream the event was read from. */
    readonly streamName: string,
    /** 0-based revision of the event in that stream. */
    readonly revision: number,
    /** The stored type name. */
    readonly typeName: string,
    /** What is wrong, in words (also part of the message). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot deserialize event ${JSON.stringify(typeName)} at revision ${revision} of stream ${JSON.stringify(streamName)}: ${reason}`,
      options,
    );
  }
}

/**
 * A stored event has a schema version newer than the registered one (written by a newer release of the
 * application). Reading it with the old class could silently drop data, so it is refused.
 */
export class EventSchemaVersionError extends EventDeserializationError {
  override readonly code: string = 'EVENT_SCHEMA_VERSION_UNSUPPORTED';
  constructor(
    streamName: string,
    revision: number,
    typeName: string,
    /** Schema version the event was stored with. */
    readonly storedVersion: number,
    /** Schema version registered for the type in this process (lower than `storedVersion`). */
    readonly currentVersion: number,
  ) {
    super(
      streamName,
      revision,
      typeName,
      `stored schema version ${storedVersion} is newer than the registered version ${currentVersion}`,
    );
  }
}
