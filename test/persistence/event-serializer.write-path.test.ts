import fc from 'fast-check';
import { newId } from '../../src/core/id';
import { Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import {
  EventSerializer,
  type DeserializedEvent,
  type EventData,
  type RecordedEvent,
} from '../../src/persistence';

/**
 * The serializer writes metadata as text rather than through `JSON.stringify` of an object (for speed). These tests
 * pin that the text is exactly what `JSON.stringify` would have written, for any id, aggregate type and headers
 * (quotes, backslashes, control characters and lone surrogates included), and that `deserializeEvent` restores the
 * same event as `deserialize`.
 */

class Noted extends Event {
  constructor(readonly text: string) {
    super();
  }
}

const registry = new EventTypeRegistry().register(Noted, 'Noted', {
  version: 3,
  upcasters: { 1: (p) => p, 2: (p) => p },
});
const serializer = new EventSerializer({ registry });

/** The metadata as the previous writer built it: an object in canonical key order, through JSON.stringify. */
function expectedMetadata(
  event: Noted,
  context: { aggregateType?: string; commitId?: string; headers?: Record<string, string> },
): string {
  const metadata: Record<string, unknown> = {};
  if (event.correlationId !== undefined) metadata.$correlationId = event.correlationId;
  if (event.causationId !== undefined) metadata.$causationId = event.causationId;
  metadata.schemaVersion = 3;
  if (context.aggregateType !== undefined) metadata.aggregateType = context.aggregateType;
  if (context.commitId !== undefined) metadata.commitId = context.commitId;
  if (context.headers !== undefined) metadata.headers = context.headers;
  metadata.rdMetaVersion = 1;
  return JSON.stringify(metadata);
}

function recordOf(data: EventData): RecordedEvent {
  return { streamName: 'note-1', revision: 0, position: 1n, created: new Date(0), ...data };
}

describe('EventSerializer write path', () => {
  it('writes metadata exactly as JSON.stringify of the metadata object, for any strings', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        fc.option(fc.dictionary(text, text, { maxKeys: 3 }), { nil: undefined }),
        (correlationId, causationId, aggregateType, commitId, headers) => {
          const event = new Noted('x');
          event.correlationId = correlationId;
          event.causationId = causationId;
          const context = {
            ...(aggregateType !== undefined ? { aggregateType } : {}),
            ...(commitId !== undefined ? { commitId } : {}),
            ...(headers !== undefined ? { headers } : {}),
          };
          let written: string;
          try {
            written = serializer.serialize(event, context).metadata;
          } catch {
            return; // headers with forbidden keys are refused: nothing to compare
          }
          expect(written).toBe(expectedMetadata(event, context));
          expect(JSON.parse(written)).toEqual(JSON.parse(expectedMetadata(event, context)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('escapes quotes, backslashes, control characters and lone surrogates in ids as JSON.stringify does', () => {
    const event = new Noted('x');
    event.correlationId = 'a"b\\c\nd\u0001e\ud800f';
    event.causationId = '\u2028\u2029/😀';
    const context = { aggregateType: 'Acc"ount', commitId: '\udfff' };
    const metadata = serializer.serialize(event, context).metadata;
    expect(metadata).toBe(expectedMetadata(event, context));
    const read = serializer.deserialize<Noted>(recordOf(serializer.serialize(event, context))).event;
    expect(read.correlationId).toBe(event.correlationId);
    expect(read.causationId).toBe(event.causationId);
  });

  it('deserializeEvent restores the same event as deserialize().event', () => {
    const event = new Noted('hello');
    event.correlationId = newId();
    event.causationId = newId();
    const record = recordOf(serializer.serialize(event, { aggregateType: 'Note', commitId: newId() }));
    const alone = serializer.deserializeEvent<Noted>(record);
    expect(alone).toBeInstanceOf(Noted);
    expect(alone).toEqual(serializer.deserialize<Noted>(record).event);
    expect(Object.keys(alone)).toEqual(Object.keys(serializer.deserialize<Noted>(record).event));
  });

  it('deserializeEvent uses the deserialize of a subclass that overrides it', () => {
    const substitute = new Noted('from the subclass');
    class Custom extends EventSerializer {
      override deserialize<T extends object = object>(recorded: RecordedEvent): DeserializedEvent<T> {
        return { event: substitute as unknown as T, metadata: {}, recorded };
      }
    }
    const custom = new Custom({ registry });
    const event = new Noted('stored');
    expect(custom.deserializeEvent(recordOf(custom.serialize(event)))).toBe(substitute);
  });
});

describe('EventSerializer payload encoding across shapes of one type', () => {
  class Shaped extends Event {
    constructor(
      readonly a: string,
      readonly at?: Date,
    ) {
      super();
    }
  }
  const shapes = new EventTypeRegistry().register(Shaped, 'Shaped', { fields: { at: Date } });
  const shapedSerializer = new EventSerializer({ registry: shapes });

  it('encodes each key list with its own fields, whatever shape came before', () => {
    const withDate = new Shaped('x', new Date(Date.UTC(2026, 0, 2)));
    const without = new Shaped('y');
    delete (without as { at?: Date }).at;
    const extra = Object.assign(new Shaped('z', new Date(0)), { note: 'n' });
    const reordered = Object.assign(Object.create(Shaped.prototype) as Shaped, {
      msgId: newId(),
      at: new Date(5),
      a: 'r',
    });
    for (let round = 0; round < 2; round++) {
      expect(JSON.parse(shapedSerializer.serialize(withDate).data)).toEqual({
        a: 'x',
        at: '2026-01-02T00:00:00.000Z',
      });
      expect(JSON.parse(shapedSerializer.serialize(without).data)).toEqual({ a: 'y' });
      expect(JSON.parse(shapedSerializer.serialize(extra).data)).toEqual({
        a: 'z',
        at: '1970-01-01T00:00:00.000Z',
        note: 'n',
      });
      expect(shapedSerializer.serialize(reordered).data).toBe('{"at":"1970-01-01T00:00:00.005Z","a":"r"}');
    }
  });

  it('still refuses a forbidden key, and a value without schema that JSON cannot carry, after a shape was seen', () => {
    shapedSerializer.serialize(new Shaped('ok', new Date(0)));
    const hostile = new Shaped('h', new Date(0));
    Object.defineProperty(hostile, 'prototype', { value: 'x', enumerable: true });
    expect(() => shapedSerializer.serialize(hostile)).toThrow(/prototype/);
    const unschemed = Object.assign(new Shaped('u', new Date(0)), { other: new Date(0) });
    expect(() => shapedSerializer.serialize(unschemed)).toThrow(/other/);
    expect(() => shapedSerializer.serialize(unschemed)).toThrow(/other/);
  });
});
