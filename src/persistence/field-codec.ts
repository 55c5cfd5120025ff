import type { FieldSchema, FieldSpec } from '../core/field-schema';
import type { MessageType } from '../core/message';

/**
 * Compiles a {@link FieldSchema} once into plain functions that encode an object to JSON-ready values and decode
 * it back, so serialising an event does no reflection and no schema interpretation per call.
 * Internal to the serializer.
 * @internal
 */

/** A field did not fit; `path` is built on the way up (only on the error path, so the happy path builds no strings). */
export class FieldCodecError extends Error {
  readonly path: (string | number)[] = [];
  constructor(readonly reason: string) {
    super(reason);
  }

  /** `lines[2].price` */
  get pathText(): string {
    let text = '';
    for (const part of this.path)
      text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
    return text;
  }
}

/**
 * Deepest nesting of plain JSON (objects and arrays) the serializer writes, and scans when reading. Far beyond any
 * event's shape; it bounds the work and the stack that stored or given data can demand.
 */
export const MAX_JSON_DEPTH = 256;

/** Keys that could reach a prototype when copied onto an object; never written, never read. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Fields of a message that travel in the event id and metadata, not in the payload. */
const ID_FIELDS: ReadonlySet<string> = new Set(['msgId', 'correlationId', 'causationId']);

/** `ID_FIELDS.has(key)` for the read path, where it runs for every stored field: three compares, no hashing. */
function isMessageIdField(key: string): boolean {
  return key === 'msgId' || key === 'correlationId' || key === 'causationId';
}

type Encoder = (value: unknown) => unknown;

/** Encode plan steps (see compileObjectCodec): a field left out, and a field without schema (checked as plain JSON). */
const SKIP = Symbol('skip');
const PLAIN = Symbol('plain');
type Decoder = (value: unknown) => unknown;

/** Encodes/decodes the own fields of one object shape. */
export interface ObjectCodec {
  /** A fresh plain object holding `source`'s own enumerable fields, encoded (message ids skipped when asked). */
  encode(source: object): Record<string, unknown>;
  /** Copies `payload`'s fields onto `target`, decoding the ones with a spec (message ids skipped when asked). */
  decodeInto(target: Record<string, unknown>, payload: Record<string, unknown>): void;
}

function rethrowAt(error: unknown, key: string | number): never {
  if (error instanceof FieldCodecError) error.path.unshift(key);
  throw error;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'an array';
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name ? `a ${name}` : 'an object';
}

/**
 * Checks that a value without a schema survives JSON exactly: strings, finite numbers, booleans, null, undefined
 * (omitted), plain arrays and plain objects of those. Anything else (Date, bigint, class instances, Map, Set,
 * NaN, functions...) would come back different or not at all, so it is refused.
 */
export function assertPlainJson(value: unknown, depth = 0): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new FieldCodecError(`${value} is not representable in JSON`);
      return;
    case 'bigint':
      throw new FieldCodecError('a bigint needs a field schema ({ field: BigInt }) to round-trip');
    case 'object': {
      if (value === null) return;
      // Bounded recursion: a deeper value is refused before it could exhaust the stack (or JSON.stringify's).
      if (depth >= MAX_JSON_DEPTH)
        throw new FieldCodecError(`is nested deeper than ${MAX_JSON_DEPTH} levels`);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          try {
            assertPlainJson(value[i], depth + 1);
          } catch (error) {
            rethrowAt(error, i);
          }
        }
        return;
      }
      if (value instanceof Date)
        throw new FieldCodecError('a Date needs a field schema ({ field: Date }) to round-trip');
      if (!isPlainObject(value)) {
        throw new FieldCodecError(
          `${describeKind(value)} needs a field schema (its class, or { type, fields }) to round-trip`,
        );
      }
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(key))
          throw new FieldCodecError(`the key ${JSON.stringify(key)} is not allowed`);
        try {
          assertPlainJson((value as Record<string, unknown>)[key], depth + 1);
        } catch (error) {
          rethrowAt(error, key);
        }
      }
      return;
    }
    default:
      throw new FieldCodecError(`a ${typeof value} cannot be stored`);
  }
}

/**
 * Keys that `prototype` (up to, not including, `Object.prototype`) defines as accessors (get/set) or read-only data:
 * a stored field under such a name cannot be restored by assignment without running class code (a setter) or
 * failing (a getter alone), so decoding refuses it. Undefined when there is none (the common case: no per-field cost).
 */
function classOnlyKeys(prototype: object | null | undefined): ReadonlyMap<string, string> | undefined {
  let keys: Map<string, string> | undefined;
  for (let p = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key === 'constructor' || keys?.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(p, key)!;
      let what: string | undefined;
      if (descriptor.get || descriptor.set)
        what = descriptor.set
          ? descriptor.get
            ? 'a getter/setter pair'
            : 'a setter'
          : 'a getter without a setter';
      else if (!descriptor.writable) what = 'a read-only property';
      if (what === undefined) continue;
      const className = (p as { constructor?: { name?: string } }).constructor?.name || 'its class';
      (keys ??= new Map()).set(key, `${what} of ${className}`);
    }
  }
  return keys;
}

/**
 * Compiles the codec for an object whose fields follow `schema` (fields without a spec must be plain JSON).
 * `prototype` is the class decoded objects are created from: a stored field that is an accessor or read-only there
 * is refused (restoring never runs class setters).
 */
export function compileObjectCodec(
  schema: FieldSchema | undefined,
  skipMessageIds: boolean,
  prototype?: object | null,
): ObjectCodec {
  const classOnly = classOnlyKeys(prototype);
  const encoders: Record<string, Encoder> = Object.create(null) as Record<string, Encoder>;
  const decoders: Record<string, Decoder> = Object.create(null) as Record<string, Decoder>;
  let hasDecoders = false;
  if (schema) {
    for (const key of Object.keys(schema)) {
      if (FORBIDDEN_KEYS.has(key))
        throw new FieldCodecError(`the field name ${JSON.stringify(key)} is not allowed in a schema`);
      const spec = schema[key]!;
      encoders[key] = compileEncoder(spec);
      decoders[key] = compileDecoder(spec);
      hasDecoders = true;
    }
  }
  // The plan for the last key list seen (one per shape of the type, in practice one): for each key, skip it (an id
  // field), check it as plain JSON, or its schema encoder. Reusing it saves two set lookups and a dictionary lookup per
  // field; a key list that differs in any key or in length gets a new plan, checked for forbidden keys as it is built.
  let planKeys: readonly string[] = [];
  let plan: ReadonlyArray<Encoder | typeof SKIP | typeof PLAIN> = [];
  const planFor = (keys: readonly string[]): ReadonlyArray<Encoder | typeof SKIP | typeof PLAIN> => {
    if (keys.length === planKeys.length) {
      let same = true;
      for (let i = 0; i < keys.length; i++) {
        if (keys[i] !== planKeys[i]) {
          same = false;
          break;
        }
      }
      if (same) return plan;
    }
    const steps: Array<Encoder | typeof SKIP | typeof PLAIN> = [];
    for (const key of keys) {
      if (skipMessageIds && ID_FIELDS.has(key)) steps.push(SKIP);
      else if (FORBIDDEN_KEYS.has(key))
        throw new FieldCodecError(`the key ${JSON.stringify(key)} is not allowed`);
      else steps.push(encoders[key] ?? PLAIN);
    }
    planKeys = keys;
    plan = steps;
    return steps;
  };
  return {
    encode(source) {
      const out: Record<string, unknown> = {};
      const keys = Object.keys(source);
      const steps = planFor(keys);
      for (let i = 0; i < keys.length; i++) {
        const step = steps[i]!;
        if (step === SKIP) continue;
        const key = keys[i]!;
        const value = (source as Record<string, unknown>)[key];
        try {
          if (step === PLAIN) {
            assertPlainJson(value);
            out[key] = value;
          } else {
            out[key] = step(value);
          }
        } catch (error) {
          rethrowAt(error, key);
        }
      }
      return out;
    },
    decodeInto(target, payload) {
      const keys = Object.keys(payload);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (skipMessageIds && isMessageIdField(key)) continue;
        if (classOnly !== undefined && classOnly.has(key)) {
          const error = new FieldCodecError(
            `is ${classOnly.get(key)!}, not a stored field: restoring it would run class code or fail ` +
              '(rename the field, or add an upcaster that drops or renames it)',
          );
          rethrowAt(error, key);
        }
        const value = payload[key];
        const decoder = hasDecoders ? decoders[key] : undefined;
        if (decoder === undefined) {
          target[key] = value;
        } else {
          try {
            target[key] = decoder(value);
          } catch (error) {
            rethrowAt(error, key);
          }
        }
      }
    },
  };
}

function isArraySpec(spec: FieldSpec): spec is { readonly arrayOf: FieldSpec } {
  return typeof spec === 'object' && spec !== null && 'arrayOf' in spec;
}

function isNestedSpec(
  spec: FieldSpec,
): spec is { readonly type?: MessageType; readonly fields: FieldSchema } {
  return typeof spec === 'object' && spec !== null && 'fields' in spec;
}

/** Maps `item` over an array (null and undefined pass through); encoding and decoding share it. */
function arrayCodec(item: Encoder | Decoder): Encoder | Decoder {
  return (value) => {
    if (value === undefined || value === null) return value;
    if (!Array.isArray(value)) throw new FieldCodecError(`expected an array, got ${describeKind(value)}`);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      try {
        out[i] = item(value[i]);
      } catch (error) {
        rethrowAt(error, i);
      }
    }
    return out;
  };
}

function compileEncoder(spec: FieldSpec): Encoder {
  if (spec === Date) {
    return (value) => {
      if (value === undefined || value === null) return value;
      if (!(value instanceof Date)) throw new FieldCodecError(`expected a Date, got ${describeKind(value)}`);
      if (Number.isNaN(value.getTime())) throw new FieldCodecError('the Date is invalid');
      return value.toISOString();
    };
  }
  if (spec === BigInt) {
    return (value) => {
      if (value === undefined || value === null) return value;
      if (typeof value !== 'bigint')
        throw new FieldCodecError(`expected a bigint, got ${describeKind(value)}`);
      return value.toString();
    };
  }
  if (isArraySpec(spec)) return arrayCodec(compileEncoder(spec.arrayOf));
  if (typeof spec !== 'function' && !isNestedSpec(spec)) throw new FieldCodecError('unsupported field spec');
  const codec = compileObjectCodec(isNestedSpec(spec) ? spec.fields : undefined, false);
  return (value) => {
    if (value === undefined || value === null) return value;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new FieldCodecError(`expected an object, got ${describeKind(value)}`);
    return codec.encode(value);
  };
}

function compileDecoder(spec: FieldSpec): Decoder {
  if (spec === Date) {
    return (value) => {
      if (value === undefined || value === null) return value;
      if (typeof value !== 'string')
        throw new FieldCodecError(`expected an ISO date string, got ${describeKind(value)}`);
      const date = new Date(value);
      if (Number.isNaN(date.getTime()))
        // The value is not quoted: stored fields may be personal data.
        throw new FieldCodecError(`a string of ${value.length} characters is not a valid date`);
      return date;
    };
  }
  if (spec === BigInt) {
    return (value) => {
      if (value === undefined || value === null) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
      // Accepted so that a field can move from number to bigint without an upcaster.
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      throw new FieldCodecError(
        `expected an integer string, got ${typeof value === 'string' ? JSON.stringify(value) : describeKind(value)}`,
      );
    };
  }
  if (isArraySpec(spec)) return arrayCodec(compileDecoder(spec.arrayOf));
  const nested = isNestedSpec(spec);
  if (typeof spec !== 'function' && !nested) throw new FieldCodecError('unsupported field spec');
  const type: MessageType | undefined = nested ? spec.type : (spec as MessageType);
  const prototype: object | null = type ? (type.prototype as object) : Object.prototype;
  const codec = compileObjectCodec(nested ? spec.fields : undefined, false, prototype);
  return (value) => {
    if (value === undefined || value === null) return value;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new FieldCodecError(`expected an object, got ${describeKind(value)}`);
    // The constructor is not run: value objects are restored from their fields, as events are.
    const target = Object.create(prototype) as Record<string, unknown>;
    codec.decodeInto(target, value as Record<string, unknown>);
    return target;
  };
}
