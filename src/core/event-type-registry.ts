import { InvalidArgumentError, ReactiveDomainError, describeValue } from './reactive-domain.error';
import type { FieldSchema } from './field-schema';
import type { MessageType } from './message';

/** Turns a payload stored at an older schema version into the shape of the next version. */
export type Upcaster = (payload: Record<string, unknown>) => Record<string, unknown>;

/** Options for {@link EventTypeRegistry.register}. */
export interface EventTypeOptions {
  /** Current schema version of the payload (positive integer, default 1). Stored with every event. */
  readonly version?: number;
  /** How fields that plain JSON cannot carry (Date, bigint, value objects) are restored. */
  readonly fields?: FieldSchema;
  /**
   * Upcasters keyed by the version they read: `{ 1: v1 => v2, 2: v2 => v3 }`. Reading an event stored at version
   * `n` applies `n`, `n+1`, ... until the current version. Every version below the current one needs an upcaster.
   */
  readonly upcasters?: { readonly [fromVersion: number]: Upcaster };
  /**
   * Restore payloads with class-transformer's `plainToInstance` (for classes using its decorators) instead of the
   * built-in fast path.
   */
  readonly useClassTransformer?: boolean;
  /**
   * Marks fields as personal data owned by a subject (a data owner, e.g. a customer): stores that encrypt personal
   * data (`encryptPersonalData`) encrypt these fields with the subject's key, and forgetting the subject makes them
   * read back as a `Redacted` marker. See {@link PersonalDataSpec}.
   */
  readonly personal?: PersonalDataSpec;
}

/**
 * Which top-level fields of an event are personal data, and which field names their owner.
 *
 * @example
 * ```ts
 * registry.register(CustomerRegistered, 'CustomerRegistered', {
 *   personal: { subject: 'customerId', fields: ['email', 'name'] },
 * });
 * ```
 */
export interface PersonalDataSpec {
  /** The field holding the subject id (a non-empty string in every event of the type). It is stored in clear. */
  readonly subject: string;
  /** The personal fields (top-level field names; not the subject field, not the message ids). */
  readonly fields: readonly string[];
}

/** What the registry knows about one event type. */
export interface EventTypeEntry<T extends object = object> {
  /** The registered event class. */
  readonly type: MessageType<T>;
  /** The stable type name stored and transmitted with each event. */
  readonly name: string;
  /** Current schema version of the payload (a positive integer; 1 when not given). */
  readonly version: number;
  /** How non-JSON fields are restored; undefined when none was given. */
  readonly fields: FieldSchema | undefined;
  /** Upcasters keyed by the version they read (empty when the type is at version 1). */
  readonly upcasters: { readonly [fromVersion: number]: Upcaster };
  /** True when payloads are restored with class-transformer instead of the built-in fast path. */
  readonly useClassTransformer: boolean;
  /** The personal fields and their subject field; undefined when the type holds no personal data. */
  readonly personal: PersonalDataSpec | undefined;
}

/** A class or a type name was registered twice, or under two names. */
export class DuplicateEventTypeError extends ReactiveDomainError {
  readonly code = 'DUPLICATE_EVENT_TYPE';
}

/** An event instance (or class) is not registered, so it cannot be named for storage or convention routing. */
export class UnregisteredEventTypeError extends ReactiveDomainError {
  readonly code = 'UNREGISTERED_EVENT_TYPE';
  constructor(
    /** The unregistered class (or whatever was given in its place). */
    readonly type: unknown,
  ) {
    super(
      `Event class ${describeType(type)} is not registered; register it once, e.g. ` +
        `registry.register(${describeType(type)}, '${describeType(type)}')`,
    );
  }
}

/**
 * A stored type name is not registered. Names the stream and revision it was read from when known.
 */
export class UnknownEventTypeError extends ReactiveDomainError {
  readonly code = 'UNKNOWN_EVENT_TYPE';
  constructor(
    /** The stored type name that no class is registered under. */
    readonly typeName: string,
    /** Stream the event was read from; undefined when not known. */
    readonly streamName?: string,
    /** 0-based revision of the event in that stream; undefined when not known. */
    readonly revision?: number,
  ) {
    super(
      `Unknown event type ${JSON.stringify(typeName)}` +
        (streamName !== undefined ? ` in stream ${JSON.stringify(streamName)}` : '') +
        (revision !== undefined ? ` at revision ${revision}` : '') +
        ': no class is registered under this name',
    );
  }
}

function describeType(type: unknown): string {
  return typeof type === 'function' ? type.name || 'anonymous class' : describeValue(type);
}

// Message ids live in metadata, and prototype-touching names are never stored fields.
const MESSAGE_ID_FIELDS = new Set([
  'msgId',
  'correlationId',
  'causationId',
  '__proto__',
  'constructor',
  'prototype',
]);
const FIELD_NAME = /^[A-Za-z_$][\w$]*$/;

/** Validates a personal-data spec at registration (so a typo fails at startup, not at the first save). */
function checkPersonal(name: string, spec: PersonalDataSpec): PersonalDataSpec {
  const fail = (reason: string): never => {
    throw new InvalidArgumentError(`register(${name}): personal ${reason}`);
  };
  if (typeof spec !== 'object' || spec === null)
    fail(`must be { subject, fields }, got ${describeValue(spec)}`);
  const { subject, fields } = spec;
  if (typeof subject !== 'string' || !FIELD_NAME.test(subject) || MESSAGE_ID_FIELDS.has(subject))
    fail(`subject must name a top-level field (not a message id), got ${describeValue(subject)}`);
  if (!Array.isArray(fields) || fields.length === 0) fail('fields must be a non-empty array of field names');
  const seen = new Set<string>();
  for (const field of fields) {
    if (typeof field !== 'string' || !FIELD_NAME.test(field) || MESSAGE_ID_FIELDS.has(field))
      fail(`fields: ${describeValue(field)} is not a top-level field name (message ids cannot be personal)`);
    if (field === subject) fail(`fields: the subject field ${subject} cannot itself be encrypted`);
    if (seen.has(field)) fail(`fields: ${field} is listed twice`);
    seen.add(field);
  }
  return Object.freeze({ subject, fields: Object.freeze([...fields]) });
}

const TYPE_NAME = /^[A-Za-z_$][\w$.:-]*$/;

/**
 * Binds event classes to stable type names and schema versions. Stored and transmitted events carry the name,
 * never `constructor.name` (which minifiers rename and plain objects lack). Lookups both ways are single map reads.
 *
 * One process usually uses {@link defaultEventTypes}; create another registry to isolate tests or bounded contexts.
 */
export class EventTypeRegistry {
  /** Names the registry in error messages (e.g. a convention method that matches none of its types). */
  readonly name: string;
  private readonly byType = new Map<Function, EventTypeEntry>();
  private readonly byName = new Map<string, EventTypeEntry>();

  /** @param options `name` labels the registry in error messages (default `'an EventTypeRegistry'`). */
  constructor(options: { readonly name?: string } = {}) {
    this.name = options.name ?? 'an EventTypeRegistry';
  }

  /** Number of registered types. */
  get size(): number {
    return this.byName.size;
  }

  /** Registers `type` under `name`. Throws {@link DuplicateEventTypeError} when either is already taken. */
  register<T extends object>(type: MessageType<T>, name: string, options: EventTypeOptions = {}): this {
    if (typeof type !== 'function')
      throw new InvalidArgumentError(`register: expected a class, got ${describeValue(type)}`);
    if (typeof name !== 'string' || !TYPE_NAME.test(name)) {
      throw new InvalidArgumentError(
        `register(${describeType(type)}): type name must be a non-blank identifier-like string, got ${describeValue(name)}`,
      );
    }
    const version = options.version ?? 1;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new InvalidArgumentError(
        `register(${name}): version must be a positive integer, got ${describeValue(version)}`,
      );
    }
    for (let v = 1; v < version; v++) {
      if (typeof options.upcasters?.[v] !== 'function') {
        throw new InvalidArgumentError(
          `register(${name}): version ${version} needs an upcaster from version ${v}`,
        );
      }
    }
    const personal = options.personal === undefined ? undefined : checkPersonal(name, options.personal);
    const existingForType = this.byType.get(type);
    if (existingForType) {
      throw new DuplicateEventTypeError(
        `Event class ${describeType(type)} is already registered as ${JSON.stringify(existingForType.name)}; ` +
          `cannot register it again as ${JSON.stringify(name)}`,
      );
    }
    const existingForName = this.byName.get(name);
    if (existingForName) {
      throw new DuplicateEventTypeError(
        `Event type name ${JSON.stringify(name)} is already bound to class ${describeType(existingForName.type)}; ` +
          `cannot bind it to ${describeType(type)}`,
      );
    }
    const entry: EventTypeEntry = Object.freeze({
      type,
      name,
      version,
      fields: options.fields,
      upcasters: Object.freeze({ ...options.upcasters }),
      useClassTransformer: options.useClassTransformer ?? false,
      personal,
    });
    this.byType.set(type, entry);
    this.byName.set(name, entry);
    return this;
  }

  /** The entry for a class, or undefined. The class itself must be registered (subclasses are not inferred). */
  entryOfType(type: Function): EventTypeEntry | undefined {
    return this.byType.get(type);
  }

  /** The entry for an instance's class; throws {@link UnregisteredEventTypeError}. */
  entryOf(event: object): EventTypeEntry {
    const ctor = (event as { constructor?: Function }).constructor;
    const entry = ctor ? this.byType.get(ctor) : undefined;
    if (!entry) throw new UnregisteredEventTypeError(ctor ?? event);
    return entry;
  }

  /** The entry registered under `name`, or undefined. */
  entryOfName(name: string): EventTypeEntry | undefined {
    return this.byName.get(name);
  }

  /** The registered name of an instance's class; throws {@link UnregisteredEventTypeError}. */
  nameOf(event: object): string {
    return this.entryOf(event).name;
  }

  /** The name registered for a class, or undefined. */
  nameOfType(type: Function): string | undefined {
    return this.byType.get(type)?.name;
  }

  /** The class registered under `name`; throws {@link UnknownEventTypeError} (stream and revision for context). */
  typeOf(name: string, streamName?: string, revision?: number): MessageType {
    const entry = this.byName.get(name);
    if (!entry) throw new UnknownEventTypeError(name, streamName, revision);
    return entry.type;
  }

  /** True when `name` is registered. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Every registered entry, in registration order. */
  entries(): IterableIterator<EventTypeEntry> {
    return this.byName.values();
  }
}

/** The process-wide registry used when no other is given. */
export const defaultEventTypes = new EventTypeRegistry({
  name: 'defaultEventTypes (the process-wide registry)',
});

/**
 * Class decorator that registers the class in a registry (default: {@link defaultEventTypes}).
 *
 * @example
 * ```ts
 * @eventType('AccountOpened')
 * class AccountOpened extends Event { constructor(readonly accountId: string) { super(); } }
 * ```
 */
export function eventType(name: string, options: EventTypeOptions & { registry?: EventTypeRegistry } = {}) {
  return <C extends MessageType>(target: C): C => {
    (options.registry ?? defaultEventTypes).register(target, name, options);
    return target;
  };
}
