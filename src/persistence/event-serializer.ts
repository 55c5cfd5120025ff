import type * as ClassTransformer from 'class-transformer';
import { isUuid } from '../core/id';
import {
  type EventTypeRegistry,
  UnknownEventTypeError,
  defaultEventTypes,
  type EventTypeEntry,
} from '../core/event-type-registry';
import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { EVENT_METADATA_VERSION, type EventMetadata, type JsonValue } from './event-metadata';
import {
  EventDeserializationError,
  EventSchemaVersionError,
  EventSerializationError,
} from './event-serializer.errors';
import {
  FORBIDDEN_KEYS,
  FieldCodecError,
  MAX_JSON_DEPTH,
  assertPlainJson,
  compileObjectCodec,
  type ObjectCodec,
} from './field-codec';
import { requireOptionalPackage } from './optional-package';
import type { EventData, RecordedEvent } from './stream-store';
import { REDACTED, Redacted } from '../core/redacted';
import { isEncryptedField, isRedactionMarker, redactionMarker } from './personal-data-cipher';

/** Options of {@link EventSerializer}. */
export interface EventSerializerOptions {
  /** Where event types are looked up (default: the process-wide {@link defaultEventTypes}). */
  readonly registry?: EventTypeRegistry;
}

/** What the layer above knows about an event being written; stored in its metadata. */
export interface SerializationContext {
  /** The aggregate type name (static `typeName`) that raised the event. */
  readonly aggregateType?: string;
  /** Id shared by the events of one save. */
  readonly commitId?: string;
  /** User-supplied headers, stored under `headers` (JSON values only). */
  readonly headers?: { readonly [key: string]: JsonValue } | undefined;
}

/** A stored event restored: the event instance, its metadata and the record it came from. */
export interface DeserializedEvent<T extends object = object> {
  /** The restored event: an instance of its registered class, upcast to the current schema version. */
  readonly event: T;
  /** The parsed metadata stored with the event. */
  readonly metadata: EventMetadata;
  /** The stored record the event was read from. */
  readonly recorded: RecordedEvent;
}

/** Everything compiled once per registered type. */
interface CompiledEntry {
  readonly entry: EventTypeEntry;
  readonly codec: ObjectCodec;
}

/**
 * Fast rejection test for stored JSON: when the text contains none of the dangerous key names and no `\u` escape
 * (which could spell one), no parsed key can be dangerous and the per-key walk is skipped.
 */
const MAY_HOLD_FORBIDDEN_KEY = /__proto__|constructor|prototype|\\u/;

/** A JSON string's content that needs no unescaping: no quote, no backslash, no control character. */
const PLAIN = String.raw`[^"\\\u0000-\u001f]*`;

/**
 * The metadata exactly as {@link EventSerializer.serialize} writes it: the keys in their write order, each optional
 * one present or absent, string values without escapes, a schema version in plain decimal (at most 15 digits, so a
 * safe integer), no whitespace, and `rdMetaVersion` last. Text it matches is valid JSON whose every key passes
 * {@link EventSerializer.readMetadata}'s checks (headers are checked separately), so the read path takes the values
 * from the match instead of running `JSON.parse`; anything else (another writer, another key order, extra keys,
 * escapes, whitespace, other number forms) takes the full path. Linear: no group can backtrack into another.
 * Groups: 1 `$correlationId`, 2 `$causationId`, 3 `schemaVersion`, 4 `aggregateType`, 5 `commitId`, 6 `headers`.
 */
const CANONICAL_METADATA = new RegExp(
  String.raw`^\{` +
    String.raw`(?:"\$correlationId":"(${PLAIN})",)?` +
    String.raw`(?:"\$causationId":"(${PLAIN})",)?` +
    String.raw`"schemaVersion":([1-9]\d{0,14}),` +
    String.raw`(?:"aggregateType":"(${PLAIN})",)?` +
    String.raw`(?:"commitId":"(${PLAIN})",)?` +
    String.raw`(?:"headers":(\{[^]*\}),)?` +
    String.raw`"rdMetaVersion":${EVENT_METADATA_VERSION}\}$`,
);

/**
 * class-transformer, loaded on the first (de)serialisation of a type registered with `useClassTransformer`: it is an
 * optional peer, and the root entry must not load it for applications that do not use it.
 */
function classTransformer(typeName: string): typeof ClassTransformer {
  return requireOptionalPackage<typeof ClassTransformer>(
    'class-transformer',
    `event type ${JSON.stringify(typeName)} (registered with useClassTransformer)`,
  );
}

/**
 * Turns events into {@link EventData} (JSON payload + metadata) and stored events back into instances of their
 * registered classes.
 *
 * **Payload**: the event's own enumerable fields except `msgId` (stored as the event id), `correlationId` and
 * `causationId` (stored in metadata). Values JSON cannot carry faithfully need the type's field schema
 * (`registry.register(T, name, { fields: { at: Date, amount: BigInt, lines: { arrayOf: Line } } })`): `Date` is
 * stored as an ISO-8601 string, `bigint` as a decimal string, value objects as their fields. A `Date`, `bigint`,
 * class instance, `Map`, `Set`, `NaN`/`Infinity` or function in a field WITHOUT a schema throws
 * {@link EventSerializationError} at serialize time: nothing is stored that would read back differently (the one
 * exception is `-0`, which JSON stores as `0`; refusing it would make ordinary arithmetic fail saves).
 * Types registered with `useClassTransformer` use class-transformer's `instanceToPlain` / `plainToInstance`
 * instead (and their own decorators; the field schema is then not used).
 *
 * **Restoring**: an instance of the registered class is created with `Object.create(prototype)` and the fields
 * are assigned (the constructor is not run), with `msgId` = event id and the correlation ids from metadata. Stored
 * data never runs class code: a stored field whose name is an accessor (`get gross()`) or a read-only property on
 * the class (or on a value object's class) throws {@link EventDeserializationError} naming the type and the field.
 * (Types restored with class-transformer follow its rules instead: it constructs and assigns.)
 * Schemas and codecs are compiled once per type and cached: no reflection per event.
 *
 * **Metadata** (see {@link EventMetadata}): `$correlationId`, `$causationId`, `schemaVersion`, `aggregateType`,
 * `commitId`, `headers`, `rdMetaVersion: 1`, written in that order. Metadata read back in exactly that form is
 * recognised by one anchored pattern and not run through `JSON.parse` (same result, same checks); metadata in any
 * other form (other writers, other key order, escapes) is parsed and checked key by key.
 *
 * **Upcasting**: an event stored at schema version n below the registered version v goes through the type's
 * upcasters n, n+1, ..., v-1 before it is restored; a stored version above v throws {@link EventSchemaVersionError}.
 *
 * **Untrusted input**: stored data is never trusted. Malformed JSON, a non-object payload or metadata, keys named
 * `__proto__`, `constructor` or `prototype` anywhere (found by an iterative scan; nesting deeper than 256 levels is
 * refused, and never written), and fields that do not fit their schema throw
 * {@link EventDeserializationError} (naming stream, revision and type); an unregistered type throws
 * `UnknownEventTypeError` (use {@link tryDeserialize} to skip unknown types deliberately).
 */
export class EventSerializer {
  /** Registry that names event types and holds their schemas; {@link defaultEventTypes} unless one was given. */
  readonly registry: EventTypeRegistry;
  private readonly compiled = new WeakMap<EventTypeEntry, CompiledEntry>();

  constructor(options: EventSerializerOptions = {}) {
    this.registry = options.registry ?? defaultEventTypes;
  }

  /** Serialises `event` (an instance of a registered class) with the given context. */
  serialize(event: object, context: SerializationContext = {}): EventData {
    if (typeof event !== 'object' || event === null) {
      throw new InvalidArgumentError(`serialize: expected an event object, got ${describeValue(event)}`);
    }
    const entry = this.registry.entryOf(event);
    const { codec } = this.compile(entry);
    const source = event as { msgId?: unknown; correlationId?: unknown; causationId?: unknown };
    if (!isUuid(source.msgId)) {
      throw new EventSerializationError(
        entry.name,
        'msgId',
        `the message id must be a UUID (it becomes the event id), got ${describeValue(source.msgId)}`,
      );
    }
    const correlationId = optionalString(source.correlationId, entry.name, 'correlationId');
    const causationId = optionalString(source.causationId, entry.name, 'causationId');

    // A forgotten (Redacted) personal field is written back as the redaction marker, never as data.
    let redacted: string[] | undefined;
    if (entry.personal !== undefined) {
      for (const field of entry.personal.fields) {
        if ((event as Record<string, unknown>)[field] instanceof Redacted) (redacted ??= []).push(field);
      }
      if (redacted !== undefined) {
        const copy = Object.assign(Object.create(Object.getPrototypeOf(event) as object) as object, event);
        for (const field of redacted) delete (copy as Record<string, unknown>)[field];
        event = copy;
      }
    }
    let payload: Record<string, unknown>;
    if (entry.useClassTransformer) {
      payload = classTransformer(entry.name).instanceToPlain(event) as Record<string, unknown>;
      delete payload.msgId;
      delete payload.correlationId;
      delete payload.causationId;
    } else {
      try {
        payload = codec.encode(event);
      } catch (error) {
        throw toSerializationError(error, entry.name);
      }
    }
    if (redacted !== undefined) for (const field of redacted) payload[field] = redactionMarker();
    let data: string;
    try {
      data = JSON.stringify(payload);
    } catch (error) {
      // Only reachable on the class-transformer path (e.g. a bigint without a @Transform): still loud and typed.
      throw new EventSerializationError(
        entry.name,
        undefined,
        `the payload is not serialisable as JSON (${String(error)})`,
        { cause: error },
      );
    }

    // Key order matters: it is the canonical form the read path recognises without JSON.parse (CANONICAL_METADATA).
    // Built as text, not as an object for JSON.stringify (about 3x cheaper), and exactly what JSON.stringify of that
    // object would give: every string goes through jsonString, which escapes as JSON.stringify does.
    let metadata = '{';
    if (correlationId !== undefined) metadata += `"$correlationId":${jsonString(correlationId)},`;
    if (causationId !== undefined) metadata += `"$causationId":${jsonString(causationId)},`;
    metadata += `"schemaVersion":${entry.version},`;
    if (context.aggregateType !== undefined)
      metadata += `"aggregateType":${jsonString(contextString(context.aggregateType, entry.name, 'aggregateType'))},`;
    if (context.commitId !== undefined)
      metadata += `"commitId":${jsonString(contextString(context.commitId, entry.name, 'commitId'))},`;
    if (context.headers !== undefined) {
      if (typeof context.headers !== 'object' || context.headers === null || Array.isArray(context.headers)) {
        throw new EventSerializationError(
          entry.name,
          undefined,
          `headers must be an object of JSON values, got ${describeValue(context.headers)}`,
        );
      }
      try {
        assertPlainJson(context.headers);
      } catch (error) {
        const failure = toSerializationError(error, entry.name);
        throw new EventSerializationError(
          entry.name,
          undefined,
          `header ${failure.field ?? ''}: ${failure.reason}`,
        );
      }
      metadata += `"headers":${JSON.stringify(context.headers)},`;
    }
    metadata += `"rdMetaVersion":${EVENT_METADATA_VERSION}}`;
    return { eventId: source.msgId, type: entry.name, data, metadata };
  }

  /**
   * Restores a stored event. Throws `UnknownEventTypeError` for an unregistered type, {@link EventSchemaVersionError}
   * for a schema version newer than the registered one, and {@link EventDeserializationError} for anything else
   * that is wrong with the stored data.
   */
  deserialize<T extends object = object>(recorded: RecordedEvent): DeserializedEvent<T> {
    const entry = this.registry.entryOfName(recorded.type);
    if (!entry) throw new UnknownEventTypeError(recorded.type, recorded.streamName, recorded.revision);
    return this.restore(entry, recorded) as DeserializedEvent<T>;
  }

  /**
   * As {@link deserialize}, returning the event alone: what a repository load needs, without a result object per
   * event. A subclass that overrides `deserialize` (and not this method) is honoured: its `deserialize` is used.
   */
  deserializeEvent<T extends object = object>(recorded: RecordedEvent): T {
    if (this.deserialize !== EventSerializer.prototype.deserialize)
      return this.deserialize<T>(recorded).event;
    const entry = this.registry.entryOfName(recorded.type);
    if (!entry) throw new UnknownEventTypeError(recorded.type, recorded.streamName, recorded.revision);
    return this.restoreEvent(entry, recorded, this.readMetadata(recorded)) as T;
  }

  /**
   * As {@link deserialize}, but returns undefined for a type that is not registered (for read models that follow
   * streams holding types they do not care about). Every other problem still throws.
   */
  tryDeserialize<T extends object = object>(recorded: RecordedEvent): DeserializedEvent<T> | undefined {
    const entry = this.registry.entryOfName(recorded.type);
    return entry ? (this.restore(entry, recorded) as DeserializedEvent<T>) : undefined;
  }

  /**
   * Parses and validates the metadata of a stored event (empty metadata reads as `{}`). Metadata in the exact form
   * {@link serialize} writes is read without `JSON.parse` (same result); any other text is parsed and checked key by
   * key.
   */
  readMetadata(recorded: RecordedEvent): EventMetadata {
    const text = recorded.metadata;
    if (typeof text === 'string') {
      const canonical = readCanonicalMetadata(text);
      if (canonical !== undefined) return canonical;
    }
    const metadata = recorded.metadata === '' ? {} : parseObject(recorded, recorded.metadata, 'metadata');
    const { rdMetaVersion, $correlationId, $causationId, schemaVersion, aggregateType, commitId, headers } =
      metadata;
    if (rdMetaVersion !== undefined && rdMetaVersion !== EVENT_METADATA_VERSION) {
      failStored(
        recorded,
        'metadata',
        `format version ${describeValue(rdMetaVersion)} is not supported (this release reads ${EVENT_METADATA_VERSION})`,
      );
    }
    if ($correlationId !== undefined && typeof $correlationId !== 'string')
      failStored(
        recorded,
        'metadata',
        `$correlationId must be a string, got ${describeValue($correlationId)}`,
      );
    if ($causationId !== undefined && typeof $causationId !== 'string')
      failStored(recorded, 'metadata', `$causationId must be a string, got ${describeValue($causationId)}`);
    if (
      schemaVersion !== undefined &&
      !(typeof schemaVersion === 'number' && Number.isSafeInteger(schemaVersion) && schemaVersion >= 1)
    ) {
      failStored(
        recorded,
        'metadata',
        `schemaVersion must be a positive integer, got ${describeValue(schemaVersion)}`,
      );
    }
    if (aggregateType !== undefined && typeof aggregateType !== 'string')
      failStored(recorded, 'metadata', `aggregateType must be a string, got ${describeValue(aggregateType)}`);
    if (commitId !== undefined && typeof commitId !== 'string')
      failStored(recorded, 'metadata', `commitId must be a string, got ${describeValue(commitId)}`);
    if (
      headers !== undefined &&
      (typeof headers !== 'object' || headers === null || Array.isArray(headers))
    ) {
      failStored(recorded, 'metadata', `headers must be an object, got ${describeValue(headers)}`);
    }
    return metadata as EventMetadata;
  }

  private restore(entry: EventTypeEntry, recorded: RecordedEvent): DeserializedEvent {
    const metadata = this.readMetadata(recorded);
    return { event: this.restoreEvent(entry, recorded, metadata), metadata, recorded };
  }

  private restoreEvent(entry: EventTypeEntry, recorded: RecordedEvent, metadata: EventMetadata): object {
    let payload = parseObject(recorded, recorded.data, 'payload');
    const stored = (metadata.schemaVersion as number | undefined) ?? 1;
    if (stored > entry.version) {
      throw new EventSchemaVersionError(
        recorded.streamName,
        recorded.revision,
        recorded.type,
        stored,
        entry.version,
      );
    }
    for (let version = stored; version < entry.version; version++) {
      const upcaster = entry.upcasters[version]!;
      let next: unknown;
      try {
        next = upcaster(payload);
      } catch (error) {
        throw new EventDeserializationError(
          recorded.streamName,
          recorded.revision,
          recorded.type,
          `upcaster from version ${version} failed`,
          {
            cause: error,
          },
        );
      }
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new EventDeserializationError(
          recorded.streamName,
          recorded.revision,
          recorded.type,
          `upcaster from version ${version} returned ${describeValue(next)} instead of an object`,
        );
      }
      payload = next as Record<string, unknown>;
    }

    const redacted = entry.personal === undefined ? undefined : takeRedacted(recorded, payload);
    let event: Record<string, unknown>;
    if (entry.useClassTransformer) {
      const { plainToInstance } = classTransformer(entry.name);
      try {
        event = plainToInstance(entry.type as new () => object, payload) as Record<string, unknown>;
      } catch (error) {
        throw new EventDeserializationError(
          recorded.streamName,
          recorded.revision,
          recorded.type,
          'class-transformer failed',
          {
            cause: error,
          },
        );
      }
      event.msgId = recorded.eventId;
      event.correlationId = metadata.$correlationId;
      event.causationId = metadata.$causationId;
    } else {
      event = Object.create(entry.type.prototype as object) as Record<string, unknown>;
      // Ids first: the same key order as an instance built by the constructor (base class fields come first).
      event.msgId = recorded.eventId;
      event.correlationId = metadata.$correlationId;
      event.causationId = metadata.$causationId;
      try {
        this.compile(entry).codec.decodeInto(event, payload);
      } catch (error) {
        if (!(error instanceof FieldCodecError)) throw error;
        throw new EventDeserializationError(
          recorded.streamName,
          recorded.revision,
          recorded.type,
          `field ${error.pathText}: ${error.reason}`,
        );
      }
    }
    if (redacted !== undefined) for (const field of redacted) event[field] = REDACTED;
    return event;
  }

  private compile(entry: EventTypeEntry): CompiledEntry {
    let compiled = this.compiled.get(entry);
    if (!compiled) {
      let codec: ObjectCodec;
      try {
        codec = compileObjectCodec(
          entry.fields,
          true,
          entry.useClassTransformer ? undefined : (entry.type.prototype as object),
        );
      } catch (error) {
        throw new InvalidArgumentError(
          `Event type ${entry.name}: invalid field schema (${error instanceof FieldCodecError ? error.reason : String(error)})`,
          { cause: error },
        );
      }
      compiled = { entry, codec };
      this.compiled.set(entry, compiled);
    }
    return compiled;
  }
}

/**
 * Removes the redaction markers from the payload of a type with personal fields and returns their field names (they
 * are restored as `Redacted`, bypassing the field schema). A field still encrypted means the events were read
 * without decryption: a typed error, never ciphertext handed to a domain object.
 */
function takeRedacted(recorded: RecordedEvent, payload: Record<string, unknown>): string[] | undefined {
  let redacted: string[] | undefined;
  for (const field of Object.keys(payload)) {
    const value = payload[field];
    if (typeof value !== 'object' || value === null) continue;
    if (isRedactionMarker(value)) {
      (redacted ??= []).push(field);
      delete payload[field];
    } else if (isEncryptedField(value)) {
      failStored(
        recorded,
        'payload',
        `field ${field} is encrypted: read events of types with personal fields through a store wrapped with encryptPersonalData (or decrypt them with its PersonalDataCipher)`,
      );
    }
  }
  return redacted;
}

function optionalString(value: unknown, typeName: string, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new EventSerializationError(typeName, field, `expected a string, got ${describeValue(value)}`);
  return value;
}

/** Characters `JSON.stringify` escapes in a string: quote, backslash, control characters, (lone) surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `value` as a JSON string, exactly as `JSON.stringify(value)` writes it (ids are almost never escaped: fast path). */
function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

function contextString(value: unknown, typeName: string, key: string): string {
  if (typeof value !== 'string')
    throw new EventSerializationError(
      typeName,
      undefined,
      `context.${key} must be a string, got ${describeValue(value)}`,
    );
  return value;
}

function toSerializationError(error: unknown, typeName: string): EventSerializationError {
  if (error instanceof FieldCodecError)
    return new EventSerializationError(typeName, error.pathText || undefined, error.reason);
  if (error instanceof EventSerializationError) return error;
  return new EventSerializationError(typeName, undefined, String(error), { cause: error });
}

/**
 * Throws the {@link EventDeserializationError} for a stored event. A module function rather than a closure per call:
 * the read path runs for every event, and transpilers that keep names wrap each closure (see BENCHMARKS.md).
 */
function failStored(
  recorded: RecordedEvent,
  what: 'payload' | 'metadata',
  reason: string,
  cause?: unknown,
): never {
  throw new EventDeserializationError(
    recorded.streamName,
    recorded.revision,
    recorded.type,
    `${what} ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The metadata object `JSON.parse` would return for canonical metadata text (same keys, same order, same values), or
 * undefined when the text is not canonical or its headers are not a plain JSON object free of forbidden keys (then
 * the caller takes the full path, which reports what is wrong). Never throws.
 */
function readCanonicalMetadata(text: string): EventMetadata | undefined {
  const match = CANONICAL_METADATA.exec(text);
  if (match === null) return undefined;
  let headers: unknown;
  const headersText = match[6];
  if (headersText !== undefined) {
    // The headers' text is the only part the pattern does not pin down: it must be one JSON object on its own (then
    // the whole text is valid JSON with exactly these keys), and must not be able to spell a forbidden key.
    if (MAY_HOLD_FORBIDDEN_KEY.test(headersText)) return undefined;
    try {
      headers = JSON.parse(headersText);
    } catch {
      return undefined;
    }
  }
  const metadata: Record<string, unknown> = {};
  if (match[1] !== undefined) metadata.$correlationId = match[1];
  if (match[2] !== undefined) metadata.$causationId = match[2];
  metadata.schemaVersion = Number(match[3]);
  if (match[4] !== undefined) metadata.aggregateType = match[4];
  if (match[5] !== undefined) metadata.commitId = match[5];
  if (headersText !== undefined) metadata.headers = headers;
  metadata.rdMetaVersion = EVENT_METADATA_VERSION;
  return metadata as EventMetadata;
}

/** Parses stored JSON that must be an object and must not hold prototype-touching keys. */
function parseObject(
  recorded: RecordedEvent,
  text: string,
  what: 'payload' | 'metadata',
): Record<string, unknown> {
  if (typeof text !== 'string')
    failStored(recorded, what, `must be a JSON string, got ${describeValue(text)}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Not the SyntaxError itself as the cause: V8 quotes the input text in it, and stored text may be personal data.
    void error;
    failStored(recorded, what, 'is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    failStored(
      recorded,
      what,
      `must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  if (MAY_HOLD_FORBIDDEN_KEY.test(text)) {
    let path: string | undefined;
    try {
      path = findForbiddenKey(value);
    } catch (error) {
      if (!(error instanceof FieldCodecError)) throw error;
      failStored(recorded, what, error.reason);
    }
    if (path !== undefined)
      failStored(recorded, what, `holds the forbidden key ${path} (it could reach an object prototype)`);
  }
  return value as Record<string, unknown>;
}

/** One value met by {@link findForbiddenKey}, linked to its parent so a path is built only when one is reported. */
interface ScanNode {
  readonly value: unknown;
  readonly parent: ScanNode | undefined;
  readonly key: string | number | undefined;
  readonly depth: number;
}

/**
 * Path of the first `__proto__`/`constructor`/`prototype` key in a parsed JSON value, or undefined. Iterative (an
 * explicit stack, not recursion: stored data must not be able to exhaust the call stack) and bounded: a value nested
 * deeper than {@link MAX_JSON_DEPTH} levels throws a {@link FieldCodecError} (this serializer never writes one).
 */
function findForbiddenKey(root: unknown): string | undefined {
  const stack: ScanNode[] = [{ value: root, parent: undefined, key: undefined, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const value = node.value;
    if (typeof value !== 'object' || value === null) continue;
    if (node.depth >= MAX_JSON_DEPTH) {
      throw new FieldCodecError(`is nested deeper than ${MAX_JSON_DEPTH} levels (at ${pathOf(node)})`);
    }
    const depth = node.depth + 1;
    if (Array.isArray(value)) {
      // Pushed in reverse, so the first offending element is the one reported.
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], parent: node, key: i, depth });
      continue;
    }
    const keys = Object.keys(value);
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) return pathOf({ value: undefined, parent: node, key, depth });
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (value as Record<string, unknown>)[key], parent: node, key, depth });
    }
  }
  return undefined;
}

/** `lines[2]."__proto__"`-style path of a scanned node (the root is `(root)`). */
function pathOf(node: ScanNode): string {
  const parts: string[] = [];
  for (let at: ScanNode | undefined = node; at?.key !== undefined; at = at.parent) {
    const key = at.key;
    if (typeof key === 'number') parts.push(`[${key}]`);
    else parts.push(FORBIDDEN_KEYS.has(key) ? JSON.stringify(key) : key);
  }
  if (parts.length === 0) return '(root)';
  let text = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    text += part.startsWith('[') || text === '' ? part : `.${part}`;
  }
  return text;
}
