import fc from 'fast-check';
import { newId } from '../../src/core/id';
import { Event } from '../../src/core/message';
import { EventTypeRegistry, UnknownEventTypeError } from '../../src/core/event-type-registry';
import { EventDeserializationError, EventSerializer, type RecordedEvent } from '../../src/persistence';

class Anything extends Event {}
class Dated extends Event {}

const serializer = new EventSerializer({
  registry: new EventTypeRegistry().register(Anything, 'Anything').register(Dated, 'Dated', {
    fields: { at: Date, n: BigInt, items: { arrayOf: { fields: { at: Date } } } },
  }),
});

function record(type: string, data: string, metadata: string): RecordedEvent {
  return {
    streamName: 'prop-1',
    revision: 3,
    position: 1n,
    eventId: newId(),
    type,
    data,
    metadata,
    created: new Date(),
  };
}

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'] as const;

/** Snapshot of what could be polluted. */
function prototypeState(): string {
  return JSON.stringify([
    Object.getOwnPropertyNames(Object.prototype).sort(),
    Object.getOwnPropertyNames(Array.prototype).sort(),
  ]);
}

function deserializeOrTypedError(recorded: RecordedEvent): 'ok' | 'typed-error' {
  try {
    serializer.deserialize(recorded);
    return 'ok';
  } catch (error) {
    if (error instanceof EventDeserializationError || error instanceof UnknownEventTypeError)
      return 'typed-error';
    throw error;
  }
}

/** Inserts `{"<key>": value}` somewhere inside a JSON value (as text, so `__proto__` stays an own key). */
const withForbiddenKey: fc.Arbitrary<string> = fc
  .tuple(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(...FORBIDDEN),
    fc.jsonValue({ maxDepth: 2 }),
    fc.nat(),
    fc.boolean(),
  )
  .map(([outer, key, inner, seed, escape]) => {
    const keyText = escape
      ? JSON.stringify(key).replace('_', '\\u005f').replace('c', '\\u0063').replace('p', '\\u0070')
      : JSON.stringify(key);
    const evil = `{${keyText}:${JSON.stringify(inner)}}`;
    // Place the evil object at the top or inside a random container of the outer value.
    const containers: string[] = [];
    const walk = (value: unknown): string => {
      if (Array.isArray(value)) return `[${[...value.map(walk), '__SLOT__'].join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const parts = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${walk(v)}`);
        parts.push(`"slot${containers.length}":__SLOT__`);
        containers.push('x');
        return `{${parts.join(',')}}`;
      }
      return JSON.stringify(value);
    };
    const text = walk({ payload: outer });
    const slots = text.split('__SLOT__');
    const chosen = seed % (slots.length - 1);
    return slots.map((part, i) => (i === 0 ? part : (i - 1 === chosen ? evil : 'null') + part)).join('');
  });

describe('EventSerializer properties (fast-check)', () => {
  it('any JSON text as payload or metadata: returns an event or throws the typed error, never pollutes prototypes', () => {
    const before = prototypeState();
    fc.assert(
      fc.property(
        fc.constantFrom('Anything', 'Dated', 'Unknown'),
        fc.jsonValue(),
        fc.oneof(
          fc.constant('{}'),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (type, payload, metadata) => {
          deserializeOrTypedError(record(type, JSON.stringify(payload), metadata));
          expect(prototypeState()).toBe(before);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('arbitrary strings (mostly invalid JSON) only ever produce the typed error', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (data, metadata) => {
        expect(['ok', 'typed-error']).toContain(deserializeOrTypedError(record('Anything', data, metadata)));
      }),
      { numRuns: 300 },
    );
  });

  it('a forbidden key anywhere (escaped or not) is always rejected and never reaches a prototype', () => {
    const before = prototypeState();
    fc.assert(
      fc.property(withForbiddenKey, (text) => {
        expect(deserializeOrTypedError(record('Anything', text, '{}'))).toBe('typed-error');
        expect(deserializeOrTypedError(record('Anything', '{}', `{"headers":${text}}`))).toBe('typed-error');
        expect(prototypeState()).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('plain JSON fields round-trip exactly through serialize and deserialize (-0 reads back as 0, as in JSON)', () => {
    const key = fc
      .string({ minLength: 1 })
      .filter((k) => !['msgId', 'correlationId', 'causationId', ...FORBIDDEN].includes(k));
    // JSON has no negative zero; the serializer documents that -0 is stored as 0.
    const noNegativeZero = (value: unknown): unknown =>
      Object.is(value, -0)
        ? 0
        : Array.isArray(value)
          ? value.map(noNegativeZero)
          : value !== null && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, noNegativeZero(v)]))
            : value;
    // Forbidden keys are rejected at any depth (tested above), so plain values here must not contain them nested.
    const hasForbiddenKey = (value: unknown): boolean =>
      Array.isArray(value)
        ? value.some(hasForbiddenKey)
        : value !== null &&
          typeof value === 'object' &&
          Object.entries(value).some(
            ([k, v]) => (FORBIDDEN as readonly string[]).includes(k) || hasForbiddenKey(v),
          );
    const plainValue = fc
      .jsonValue()
      .filter((v) => !hasForbiddenKey(v))
      .map(noNegativeZero);
    fc.assert(
      fc.property(fc.dictionary(key, plainValue, { maxKeys: 6 }), (fields) => {
        const event = Object.assign(new Anything(), fields);
        const data = serializer.serialize(event);
        const restored = serializer.deserialize(record(data.type, data.data, data.metadata)).event;
        expect(restored).toBeInstanceOf(Anything);
        expect({ ...restored, msgId: undefined }).toEqual({ ...event, msgId: undefined });
      }),
      { numRuns: 300 },
    );
  });

  it('schema fields round-trip: any valid Date and any bigint', () => {
    fc.assert(
      fc.property(
        fc.date({ noInvalidDate: true }),
        fc.bigInt(),
        fc.array(fc.date({ noInvalidDate: true }), { maxLength: 3 }),
        (at, n, dates) => {
          const event = Object.assign(new Dated(), { at, n, items: dates.map((d) => ({ at: d })) });
          const data = serializer.serialize(event);
          const restored = serializer.deserialize(record(data.type, data.data, data.metadata))
            .event as Dated & typeof event;
          expect(restored.at.getTime()).toBe(at.getTime());
          expect(restored.n).toBe(n);
          expect(restored.items.map((i) => i.at.getTime())).toEqual(dates.map((d) => d.getTime()));
        },
      ),
      { numRuns: 300 },
    );
  });
});
