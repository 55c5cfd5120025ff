import fc from 'fast-check';
import { newId } from '../../src/core/id';
import { Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import {
  EventDeserializationError,
  EventSchemaVersionError,
  EventSerializer,
  type RecordedEvent,
} from '../../src/persistence';

/**
 * The metadata read path has two routes: text in the exact form `serialize` writes is read from one anchored pattern
 * match (no `JSON.parse`), anything else is parsed and checked key by key. These tests pin that both routes give the
 * same result — the same object, key order included, or the same error — so a fast path that accepted too much or
 * read a value wrongly would fail here.
 */

class Noted extends Event {
  constructor(readonly text: string) {
    super();
  }
}

class Versioned extends Event {
  constructor(readonly value: string) {
    super();
  }
}

const registry = new EventTypeRegistry().register(Noted, 'Noted').register(Versioned, 'Versioned', {
  version: 2,
  upcasters: { 1: (v1) => ({ value: `v1:${String(v1.old)}` }) },
});
const serializer = new EventSerializer({ registry });

const CORRELATION = '0190f3a2-1234-7abc-8def-0123456789ab';
const CAUSATION = '0190f3a2-5678-7abc-8def-0123456789ab';
const COMMIT = '0190f3a2-9abc-7abc-8def-0123456789ab';
const CANONICAL = `{"$correlationId":"${CORRELATION}","$causationId":"${CAUSATION}","schemaVersion":1,"aggregateType":"Account","commitId":"${COMMIT}","rdMetaVersion":1}`;

function record(metadata: string, type = 'Noted', data = '{"text":"hi"}', eventId = newId()): RecordedEvent {
  return {
    streamName: 'meta-1',
    revision: 4,
    position: 9n,
    eventId,
    type,
    data,
    metadata,
    created: new Date(),
  };
}

type Outcome =
  | { readonly ok: true; readonly keys: string[]; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown; readonly message: string };

function outcome(metadata: string): Outcome {
  try {
    const value = serializer.readMetadata(record(metadata));
    return { ok: true, keys: Object.keys(value), value };
  } catch (error) {
    return { ok: false, error, message: (error as Error).message };
  }
}

/**
 * Reads `text` as given and again with a space in front: JSON means the same, but the leading space takes the text
 * off the canonical route, so the second read always goes through `JSON.parse` and the key-by-key checks.
 */
function expectBothRoutesAgree(text: string): Outcome {
  const direct = outcome(text);
  const parsed = outcome(` ${text}`);
  if (parsed.ok) {
    expect(direct).toStrictEqual(parsed);
    expect(direct.ok && direct.value).toStrictEqual(JSON.parse(text));
  } else {
    expect(direct.ok).toBe(false);
    expect(!direct.ok && direct.error).toBeInstanceOf(EventDeserializationError);
    expect(!direct.ok && direct.message).toBe(parsed.message);
  }
  return direct;
}

function countParses(fn: () => void): number {
  const spy = jest.spyOn(JSON, 'parse');
  try {
    fn();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe('metadata written by the serializer', () => {
  it('is written in the canonical key order (ids and schema version first, rdMetaVersion last)', () => {
    const event = new Noted('hi');
    event.correlationId = CORRELATION;
    event.causationId = CAUSATION;
    const withHeaders = serializer.serialize(event, {
      aggregateType: 'Account',
      commitId: COMMIT,
      headers: { user: 'u-1' },
    });
    expect(withHeaders.metadata).toBe(
      `{"$correlationId":"${CORRELATION}","$causationId":"${CAUSATION}","schemaVersion":1,"aggregateType":"Account","commitId":"${COMMIT}","headers":{"user":"u-1"},"rdMetaVersion":1}`,
    );
    expect(serializer.serialize(event, { aggregateType: 'Account', commitId: COMMIT }).metadata).toBe(
      CANONICAL,
    );
    expect(serializer.serialize(new Noted('x')).metadata).toBe('{"schemaVersion":1,"rdMetaVersion":1}');
  });

  it('is read without JSON.parse (only the payload is parsed), with the same result', () => {
    const event = new Noted('hi');
    event.correlationId = CORRELATION;
    event.causationId = CAUSATION;
    const data = serializer.serialize(event, { aggregateType: 'Account', commitId: COMMIT });
    const recorded = record(data.metadata, data.type, data.data, data.eventId);
    let restored: ReturnType<typeof serializer.deserialize<Noted>> | undefined;
    expect(countParses(() => (restored = serializer.deserialize<Noted>(recorded)))).toBe(1);
    expect(restored!.event).toBeInstanceOf(Noted);
    expect(restored!.event).toMatchObject({
      text: 'hi',
      msgId: event.msgId,
      correlationId: CORRELATION,
      causationId: CAUSATION,
    });
    expect(restored!.metadata).toStrictEqual(JSON.parse(data.metadata));
    expect(Object.keys(restored!.metadata)).toEqual(Object.keys(JSON.parse(data.metadata) as object));
  });

  it('with headers, parses only the headers text besides the payload', () => {
    const data = serializer.serialize(new Noted('hi'), {
      headers: { user: 'u-1', roles: ['a', 'b'], n: 1.5 },
    });
    const recorded = record(data.metadata, data.type, data.data);
    let metadata: unknown;
    expect(countParses(() => (metadata = serializer.deserialize(recorded).metadata))).toBe(2);
    expect(metadata).toStrictEqual(JSON.parse(data.metadata));
  });

  it('other text takes the full path', () => {
    expect(countParses(() => serializer.deserialize(record(` ${CANONICAL}`)))).toBe(2);
    expect(countParses(() => serializer.deserialize(record('{"schemaVersion":1}')))).toBe(2);
  });

  it('canonical text still drives the schema version: upcasting, and the newer-than-registered error', () => {
    const v1 = serializer.deserialize<Versioned>(
      record('{"schemaVersion":1,"rdMetaVersion":1}', 'Versioned', '{"old":"x"}'),
    );
    expect(v1.event.value).toBe('v1:x');
    const error = (() => {
      try {
        serializer.deserialize(record('{"schemaVersion":3,"rdMetaVersion":1}', 'Versioned', '{}'));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(EventSchemaVersionError);
    expect(error).toMatchObject({ streamName: 'meta-1', revision: 4, typeName: 'Versioned' });
  });
});

describe('both metadata routes agree', () => {
  const cases: Array<[string, string]> = [
    ['canonical', CANONICAL],
    ['only the required keys', '{"schemaVersion":1,"rdMetaVersion":1}'],
    ['no correlation id', `{"$causationId":"c","schemaVersion":2,"rdMetaVersion":1}`],
    ['no causation id', `{"$correlationId":"c","schemaVersion":2,"commitId":"k","rdMetaVersion":1}`],
    [
      'no aggregate type',
      `{"$correlationId":"a","$causationId":"b","schemaVersion":1,"commitId":"k","rdMetaVersion":1}`,
    ],
    [
      'empty strings',
      '{"$correlationId":"","$causationId":"","schemaVersion":1,"aggregateType":"","commitId":"","rdMetaVersion":1}',
    ],
    [
      'non-ASCII and a lone surrogate',
      '{"$correlationId":"été ✓ \ud83d\ude00 \ud800","schemaVersion":1,"rdMetaVersion":1}',
    ],
    [
      'forbidden words as values',
      '{"$correlationId":"__proto__","aggregateType":"constructor","schemaVersion":1,"commitId":"prototype","rdMetaVersion":1}',
    ],
    ['a large schema version', '{"schemaVersion":999999999999999,"rdMetaVersion":1}'],
    [
      'headers',
      '{"schemaVersion":1,"headers":{"user":"u-1","nested":{"a":[1,2,{"b":null}]},"t":true},"rdMetaVersion":1}',
    ],
    ['empty headers', '{"schemaVersion":1,"headers":{},"rdMetaVersion":1}'],
    [
      'headers holding the tail text',
      '{"schemaVersion":1,"headers":{"x":"},\\"rdMetaVersion\\":1}"},"rdMetaVersion":1}',
    ],
    [
      'headers holding forbidden words as values',
      '{"schemaVersion":1,"headers":{"k":"__proto__ constructor"},"rdMetaVersion":1}',
    ],
    // Not canonical: must go the full way and come out the same.
    ['an escaped quote in an id', '{"$correlationId":"a\\"b","schemaVersion":1,"rdMetaVersion":1}'],
    ['a unicode escape in an id', '{"$correlationId":"\\u0041bc","schemaVersion":1,"rdMetaVersion":1}'],
    ['an escaped newline', '{"$causationId":"a\\nb","schemaVersion":1,"rdMetaVersion":1}'],
    ['another key order', `{"schemaVersion":1,"$correlationId":"a","$causationId":"b","rdMetaVersion":1}`],
    ['rdMetaVersion first', '{"rdMetaVersion":1,"schemaVersion":1}'],
    ['an extra key', '{"$correlationId":"a","schemaVersion":1,"custom":"x","rdMetaVersion":1}'],
    ['an extra key at the end', '{"schemaVersion":1,"rdMetaVersion":1,"custom":{"a":1}}'],
    [
      'an extra key between headers and the tail',
      '{"schemaVersion":1,"headers":{"a":1},"x":{"b":2},"rdMetaVersion":1}',
    ],
    ['no schema version', '{"$correlationId":"a","rdMetaVersion":1}'],
    ['no rdMetaVersion', '{"$correlationId":"a","schemaVersion":1}'],
    ['empty object', '{}'],
    ['pretty printed', JSON.stringify(JSON.parse(CANONICAL), null, 2)],
    ['a duplicate key', '{"$correlationId":"a","$correlationId":"b","schemaVersion":1,"rdMetaVersion":1}'],
    ['schema version 1.0', '{"schemaVersion":1.0,"rdMetaVersion":1}'],
    ['schema version 1e1', '{"schemaVersion":1e1,"rdMetaVersion":1}'],
    ['schema version past safe integers', '{"schemaVersion":9007199254740993,"rdMetaVersion":1}'],
    ['headers from another writer with spaces', '{"schemaVersion":1,"headers": {"a":1} ,"rdMetaVersion":1}'],
    // Not canonical and wrong: the same typed error either way.
    ['schema version 0', '{"schemaVersion":0,"rdMetaVersion":1}'],
    ['schema version -1', '{"schemaVersion":-1,"rdMetaVersion":1}'],
    ['schema version 1.5', '{"schemaVersion":1.5,"rdMetaVersion":1}'],
    ['schema version with a leading zero', '{"schemaVersion":01,"rdMetaVersion":1}'],
    ['schema version as a string', '{"schemaVersion":"1","rdMetaVersion":1}'],
    ['a newer metadata format in canonical order', '{"schemaVersion":1,"rdMetaVersion":2}'],
    ['a non-string correlation id', '{"$correlationId":5,"schemaVersion":1,"rdMetaVersion":1}'],
    ['a non-string aggregate type', '{"schemaVersion":1,"aggregateType":null,"rdMetaVersion":1}'],
    ['a non-string commit id', '{"schemaVersion":1,"commitId":7,"rdMetaVersion":1}'],
    ['array headers', '{"schemaVersion":1,"headers":[1],"rdMetaVersion":1}'],
    ['null headers', '{"schemaVersion":1,"headers":null,"rdMetaVersion":1}'],
    ['__proto__ in headers', '{"schemaVersion":1,"headers":{"__proto__":{"x":1}},"rdMetaVersion":1}'],
    [
      'escaped __proto__ in headers',
      '{"schemaVersion":1,"headers":{"a":{"\\u005f_proto__":{"x":1}}},"rdMetaVersion":1}',
    ],
    [
      'constructor in headers',
      '{"schemaVersion":1,"headers":{"constructor":{"prototype":1}},"rdMetaVersion":1}',
    ],
    ['__proto__ at the top', '{"__proto__":{"x":1},"schemaVersion":1,"rdMetaVersion":1}'],
    ['a raw newline in a string', '{"$correlationId":"a\nb","schemaVersion":1,"rdMetaVersion":1}'],
    ['a raw tab in a string', '{"schemaVersion":1,"aggregateType":"a\tb","rdMetaVersion":1}'],
    ['trailing text', `${CANONICAL}x`],
    [
      'a missing comma after an id',
      '{"$correlationId":"a""$causationId":"b","schemaVersion":1,"rdMetaVersion":1}',
    ],
    ['a missing comma after the schema version', '{"schemaVersion":1"aggregateType":"A","rdMetaVersion":1}'],
    ['a missing colon', '{"$correlationId""a","schemaVersion":1,"rdMetaVersion":1}'],
    ['an unquoted id', '{"$correlationId":a,"schemaVersion":1,"rdMetaVersion":1}'],
    ['an unterminated id', '{"$correlationId":"a,"schemaVersion":1,"rdMetaVersion":1}'],
    ['a missing closing brace', CANONICAL.slice(0, -1)],
    ['malformed headers', '{"schemaVersion":1,"headers":{"a":},"rdMetaVersion":1}'],
    ['two objects as headers', '{"schemaVersion":1,"headers":{"a":1}{"b":2},"rdMetaVersion":1}'],
    ['an array', '[]'],
    ['a string', '"x"'],
  ];

  it.each(cases)('%s', (_, text) => {
    expectBothRoutesAgree(text);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('the valid cases restore the event with the ids from the metadata', () => {
    for (const [, text] of cases) {
      const read = outcome(text);
      if (!read.ok) continue;
      const metadata = read.value as Record<string, unknown>;
      if (((metadata.schemaVersion as number | undefined) ?? 1) > 1) continue;
      const restored = serializer.deserialize<Noted>(record(text)).event;
      expect(restored.correlationId).toBe(metadata.$correlationId);
      expect(restored.causationId).toBe(metadata.$causationId);
    }
  });

  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '__proto__', '},"rdMetaVersion":1}', 'u'),
    fc.uuid(),
  );
  const schemaVersion = fc.oneof(
    fc.integer({ min: 1, max: 20 }),
    fc.integer(),
    fc.double(),
    fc.constant(Number.MAX_SAFE_INTEGER + 2),
    fc.constant('1'),
  );
  const metadata = fc.record(
    {
      $correlationId: fc.oneof(text, fc.integer()),
      $causationId: text,
      schemaVersion,
      aggregateType: fc.oneof(text, fc.constant(null)),
      commitId: text,
      headers: fc.oneof(
        fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })),
        fc.jsonValue({ maxDepth: 1 }),
        fc.constant(JSON.parse('{"__proto__":1}') as object), // an own __proto__ key
      ),
      rdMetaVersion: fc.constantFrom(1, 1, 1, 2),
    },
    { requiredKeys: [] },
  );

  it('on generated metadata in the canonical order, with random edits', () => {
    fc.assert(
      fc.property(
        metadata,
        fc.nat(),
        fc.nat(),
        fc.constantFrom('', '', 'delete', 'insert', 'swap'),
        (meta, at, with_, edit) => {
          let written = JSON.stringify(meta);
          const position = written.length === 0 ? 0 : at % written.length;
          const chars = '{}[]",:\\ 01ae-u';
          if (edit === 'delete') written = written.slice(0, position) + written.slice(position + 1);
          if (edit === 'insert')
            written = written.slice(0, position) + chars[with_ % chars.length]! + written.slice(position);
          if (edit === 'swap' && position + 1 < written.length)
            written =
              written.slice(0, position) +
              written[position + 1]! +
              written[position]! +
              written.slice(position + 2);
          expectBothRoutesAgree(written);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('on generated metadata in a random key order', () => {
    fc.assert(
      fc.property(metadata, fc.nat(), (meta, seed) => {
        const entries = Object.entries(meta);
        for (let i = entries.length - 1; i > 0; i--) {
          const j = (seed + i * 7) % (i + 1);
          [entries[i], entries[j]] = [entries[j]!, entries[i]!];
        }
        expectBothRoutesAgree(JSON.stringify(Object.fromEntries(entries)));
      }),
      { numRuns: 500 },
    );
  });
});
