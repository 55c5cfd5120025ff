import { Transform } from 'class-transformer';
import { newId } from '../../src/core/id';
import { Event, MessageBase } from '../../src/core/message';
import {
  EventTypeRegistry,
  UnknownEventTypeError,
  UnregisteredEventTypeError,
} from '../../src/core/event-type-registry';
import {
  EventDeserializationError,
  EventSchemaVersionError,
  EventSerializationError,
  EventSerializer,
  type EventData,
  type RecordedEvent,
} from '../../src/persistence';

// ---- fixtures ------------------------------------------------------------------------------------------------------

let constructorRuns = 0;

class Money {
  constructor(
    readonly amount: bigint,
    readonly currency: string,
  ) {}
  format(): string {
    return `${this.amount} ${this.currency}`;
  }
}

class Line {
  constructor(
    readonly sku: string,
    readonly price: Money,
    readonly addedAt: Date,
  ) {}
}

class AccountOpened extends Event {
  constructor(
    readonly accountId: string,
    readonly owner: string,
  ) {
    super();
    constructorRuns++;
  }
}

class OrderPlaced extends Event {
  constructor(
    readonly orderId: string,
    readonly placedAt: Date,
    readonly total: bigint,
    readonly lines: Line[],
    readonly tags: string[],
    readonly note: { text: string; editedAt: Date } | null,
    readonly dueDates: Date[],
  ) {
    super();
  }
}

class Untyped extends Event {
  constructor(readonly value: unknown) {
    super();
  }
}

class Renamed extends Event {
  constructor(
    readonly fullName: string,
    readonly age: number,
  ) {
    super();
  }
}

class Ping extends MessageBase {
  constructor(readonly n: number) {
    super();
  }
}

class Decorated extends Event {
  @Transform(({ value }) => new Date(value as string), { toClassOnly: true })
  at!: Date;
  label = 'default';
}

function registry(): EventTypeRegistry {
  return new EventTypeRegistry()
    .register(AccountOpened, 'AccountOpened')
    .register(OrderPlaced, 'OrderPlaced', {
      fields: {
        placedAt: Date,
        total: BigInt,
        lines: {
          arrayOf: {
            type: Line,
            fields: { price: { type: Money, fields: { amount: BigInt } }, addedAt: Date },
          },
        },
        note: { fields: { editedAt: Date } },
        dueDates: { arrayOf: Date },
      },
    })
    .register(Untyped, 'Untyped')
    .register(Renamed, 'Renamed', {
      version: 3,
      upcasters: {
        1: (v1) => ({ fullName: `${String(v1.first)} ${String(v1.last)}` }),
        2: (v2) => ({ ...v2, age: 0 }),
      },
    })
    .register(Ping, 'Ping')
    .register(Decorated, 'Decorated', { useClassTransformer: true });
}

function recorded(data: EventData, overrides: Partial<RecordedEvent> = {}): RecordedEvent {
  return {
    streamName: 'test-1',
    revision: 7,
    position: 100n,
    eventId: data.eventId,
    type: data.type,
    data: data.data,
    metadata: data.metadata,
    created: new Date(),
    ...overrides,
  };
}

function raw(type: string, data: string, metadata = '{"rdMetaVersion":1,"schemaVersion":1}'): RecordedEvent {
  return recorded({ eventId: newId(), type, data, metadata });
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const serializer = new EventSerializer({ registry: registry() });

// ---- tests ---------------------------------------------------------------------------------------------------------

describe('EventSerializer.serialize', () => {
  it('stores the own fields minus the message ids; msgId becomes the event id; the type is the registered name', () => {
    const event = new AccountOpened('acc-1', 'Ada');
    const data = serializer.serialize(event);
    expect(data.eventId).toBe(event.msgId);
    expect(data.type).toBe('AccountOpened');
    expect(JSON.parse(data.data)).toEqual({ accountId: 'acc-1', owner: 'Ada' });
  });

  it('writes versioned metadata with EventStoreDB correlation keys, aggregate type, commit id and headers', () => {
    const event = new AccountOpened('acc-1', 'Ada');
    event.correlationId = 'corr-1';
    event.causationId = 'cause-1';
    const data = serializer.serialize(event, {
      aggregateType: 'Account',
      commitId: 'commit-1',
      headers: { userId: 'u-1', n: 2 },
    });
    expect(JSON.parse(data.metadata)).toEqual({
      $correlationId: 'corr-1',
      $causationId: 'cause-1',
      schemaVersion: 1,
      aggregateType: 'Account',
      commitId: 'commit-1',
      headers: { userId: 'u-1', n: 2 },
      rdMetaVersion: 1,
    });
  });

  it('omits absent correlation ids and context keys', () => {
    expect(JSON.parse(serializer.serialize(new AccountOpened('a', 'b')).metadata)).toEqual({
      schemaVersion: 1,
      rdMetaVersion: 1,
    });
  });

  it('stores Date as ISO-8601 and bigint as a decimal string, nested and in arrays', () => {
    const event = new OrderPlaced(
      'o-1',
      new Date('2026-01-02T03:04:05.678Z'),
      12345678901234567890n,
      [new Line('sku-1', new Money(-5n, 'EUR'), new Date('2026-01-01T00:00:00.000Z'))],
      ['a'],
      { text: 'hi', editedAt: new Date('2026-03-01T00:00:00.000Z') },
      [new Date('2026-04-01T00:00:00.000Z')],
    );
    expect(JSON.parse(serializer.serialize(event).data)).toEqual({
      orderId: 'o-1',
      placedAt: '2026-01-02T03:04:05.678Z',
      total: '12345678901234567890',
      lines: [
        { sku: 'sku-1', price: { amount: '-5', currency: 'EUR' }, addedAt: '2026-01-01T00:00:00.000Z' },
      ],
      tags: ['a'],
      note: { text: 'hi', editedAt: '2026-03-01T00:00:00.000Z' },
      dueDates: ['2026-04-01T00:00:00.000Z'],
    });
  });

  it.each([
    ['a Date without a schema', new Date(), 'value', 'a Date needs a field schema'],
    ['a bigint without a schema', 5n, 'value', 'a bigint needs a field schema'],
    [
      'a nested Date without a schema',
      { when: [new Date()] },
      'value.when[0]',
      'a Date needs a field schema',
    ],
    ['a class instance without a schema', new Money(1n, 'EUR'), 'value', 'a Money needs a field schema'],
    ['a Map', new Map([['a', 1]]), 'value', 'a Map needs a field schema'],
    ['NaN', Number.NaN, 'value', 'NaN is not representable in JSON'],
    ['Infinity', Number.POSITIVE_INFINITY, 'value', 'Infinity is not representable in JSON'],
    ['a function', () => 1, 'value', 'a function cannot be stored'],
  ])('refuses %s at serialize time (never a silent change)', (_, value, field, reason) => {
    const error = errorOf(() => serializer.serialize(new Untyped(value)));
    expect(error).toBeInstanceOf(EventSerializationError);
    expect(error).toMatchObject({ code: 'EVENT_SERIALIZATION_FAILED', typeName: 'Untyped', field });
    expect((error as Error).message).toContain(reason);
  });

  it('refuses values that do not fit their schema', () => {
    const bad = (patch: Partial<Record<keyof OrderPlaced, unknown>>) =>
      Object.assign(new OrderPlaced('o', new Date(0), 1n, [], [], null, []), patch);
    expect(errorOf(() => serializer.serialize(bad({ placedAt: '2026-01-01' })))).toMatchObject({
      field: 'placedAt',
    });
    expect(errorOf(() => serializer.serialize(bad({ placedAt: new Date('nope') })))).toMatchObject({
      field: 'placedAt',
    });
    expect(errorOf(() => serializer.serialize(bad({ total: 5 })))).toMatchObject({ field: 'total' });
    expect(errorOf(() => serializer.serialize(bad({ lines: {} })))).toMatchObject({ field: 'lines' });
    expect(
      errorOf(() =>
        serializer.serialize(bad({ lines: [{ sku: 's', price: { amount: 1, currency: 'x' } }] })),
      ),
    ).toMatchObject({
      field: 'lines[0].price.amount',
    });
  });

  it('refuses an unregistered class, a non-UUID msgId and non-JSON headers', () => {
    class Stray extends Event {}
    expect(() => serializer.serialize(new Stray())).toThrow(UnregisteredEventTypeError);
    const event = new AccountOpened('a', 'b');
    (event as { msgId: string }).msgId = 'not-a-uuid';
    expect(errorOf(() => serializer.serialize(event))).toMatchObject({ field: 'msgId' });
    expect(() =>
      serializer.serialize(new AccountOpened('a', 'b'), { headers: { at: new Date() as never } }),
    ).toThrow(EventSerializationError);
  });
});

describe('EventSerializer.deserialize', () => {
  it('restores an instance of the registered class without running its constructor; ids from the record', () => {
    const event = new AccountOpened('acc-1', 'Ada');
    event.correlationId = 'corr-1';
    event.causationId = 'cause-1';
    const data = serializer.serialize(event, { aggregateType: 'Account' });
    const runs = constructorRuns;
    const {
      event: restored,
      metadata,
      recorded: record,
    } = serializer.deserialize<AccountOpened>(recorded(data));
    expect(constructorRuns).toBe(runs);
    expect(restored).toBeInstanceOf(AccountOpened);
    expect(restored).toEqual(event);
    expect(Object.keys(restored)).toEqual(Object.keys(event));
    expect(restored.msgId).toBe(data.eventId);
    expect(metadata).toMatchObject({ aggregateType: 'Account', $correlationId: 'corr-1', rdMetaVersion: 1 });
    expect(record.revision).toBe(7);
  });

  it('round-trips Date, bigint, nested value classes and arrays of them exactly', () => {
    const event = new OrderPlaced(
      'o-1',
      new Date('2026-01-02T03:04:05.678Z'),
      -12345678901234567890n,
      [new Line('sku-1', new Money(5n, 'EUR'), new Date('2026-01-01T00:00:00.000Z'))],
      ['a', 'b'],
      { text: 'hi', editedAt: new Date('2026-03-01T00:00:00.000Z') },
      [new Date('2026-04-01T00:00:00.000Z')],
    );
    const restored = serializer.deserialize<OrderPlaced>(recorded(serializer.serialize(event))).event;
    expect(restored).toBeInstanceOf(OrderPlaced);
    expect(restored).toStrictEqual(event);
    expect(restored.placedAt).toBeInstanceOf(Date);
    expect(typeof restored.total).toBe('bigint');
    expect(restored.lines[0]).toBeInstanceOf(Line);
    expect(restored.lines[0]!.price.format()).toBe('5 EUR');
    expect(restored.note!.editedAt).toBeInstanceOf(Date);
  });

  it('a restored event serialises again to the same data (e.g. for snapshots or an outbox)', () => {
    const event = new OrderPlaced(
      'o-1',
      new Date(5),
      7n,
      [new Line('s', new Money(1n, 'EUR'), new Date(6))],
      [],
      null,
      [],
    );
    event.correlationId = 'c-1';
    const first = serializer.serialize(event, { commitId: 'k' });
    const again = serializer.serialize(serializer.deserialize(recorded(first)).event, { commitId: 'k' });
    expect(again).toEqual(first);
  });

  it('keeps null and absent schema fields as they are', () => {
    const event = new OrderPlaced('o', new Date(0), 0n, [], [], null, []);
    expect(serializer.deserialize<OrderPlaced>(recorded(serializer.serialize(event))).event.note).toBeNull();
  });

  it('restores plain (uncorrelated) messages', () => {
    const ping = new Ping(3);
    const restored = serializer.deserialize<Ping>(recorded(serializer.serialize(ping))).event;
    expect(restored).toBeInstanceOf(Ping);
    expect(restored.n).toBe(3);
    expect(restored.msgId).toBe(ping.msgId);
  });

  it('reads events written by other tools: empty metadata, no schema version', () => {
    const restored = serializer.deserialize<AccountOpened>(
      raw('AccountOpened', '{"accountId":"x","owner":"y"}', ''),
    );
    expect(restored.event).toMatchObject({ accountId: 'x', owner: 'y', correlationId: undefined });
    expect(restored.metadata).toEqual({});
  });

  it('an unknown type throws UnknownEventTypeError naming stream and revision; tryDeserialize skips it', () => {
    const record = raw('NoSuchType', '{}');
    const error = errorOf(() => serializer.deserialize(record));
    expect(error).toBeInstanceOf(UnknownEventTypeError);
    expect(error).toMatchObject({ typeName: 'NoSuchType', streamName: 'test-1', revision: 7 });
    expect(serializer.tryDeserialize(record)).toBeUndefined();
    expect(serializer.tryDeserialize(raw('AccountOpened', '{"accountId":"a"}'))?.event).toBeInstanceOf(
      AccountOpened,
    );
    expect(() => serializer.tryDeserialize(raw('AccountOpened', '{oops'))).toThrow(EventDeserializationError);
  });

  describe('rejects bad stored data with EventDeserializationError naming stream, revision and type', () => {
    it.each([
      ['malformed payload JSON', raw('AccountOpened', '{"a":'), 'payload is not valid JSON'],
      ['an array payload', raw('AccountOpened', '[1,2]'), 'payload must be a JSON object, got an array'],
      ['a null payload', raw('AccountOpened', 'null'), 'payload must be a JSON object, got null'],
      ['a number payload', raw('AccountOpened', '42'), 'payload must be a JSON object, got number'],
      ['malformed metadata JSON', raw('AccountOpened', '{}', '{x'), 'metadata is not valid JSON'],
      ['array metadata', raw('AccountOpened', '{}', '[]'), 'metadata must be a JSON object'],
      [
        'a newer metadata format',
        raw('AccountOpened', '{}', '{"rdMetaVersion":2}'),
        'format version 2 is not supported',
      ],
      [
        'a non-string correlation id',
        raw('AccountOpened', '{}', '{"$correlationId":5}'),
        '$correlationId must be a string',
      ],
      [
        'a bad schema version',
        raw('AccountOpened', '{}', '{"schemaVersion":0}'),
        'schemaVersion must be a positive integer',
      ],
      ['non-object headers', raw('AccountOpened', '{}', '{"headers":"x"}'), 'headers must be an object'],
      [
        '__proto__ at the top',
        raw('AccountOpened', '{"__proto__":{"polluted":true}}'),
        'forbidden key "__proto__"',
      ],
      [
        '__proto__ nested in an array',
        raw('Untyped', '{"value":[1,{"a":{"__proto__":{"x":1}}}]}'),
        'value[1].a."__proto__"',
      ],
      [
        'an escaped __proto__',
        raw('AccountOpened', '{"\\u005f_proto__":{"polluted":true}}'),
        'forbidden key "__proto__"',
      ],
      [
        'a constructor key',
        raw('Untyped', '{"value":{"constructor":{"prototype":{"x":1}}}}'),
        'forbidden key value."constructor"',
      ],
      ['a prototype key', raw('AccountOpened', '{"prototype":1}'), 'forbidden key "prototype"'],
      [
        '__proto__ in metadata headers',
        raw('AccountOpened', '{}', '{"headers":{"__proto__":{"x":1}}}'),
        'metadata holds the forbidden key',
      ],
      [
        'a Date field that is not a date',
        raw('OrderPlaced', '{"placedAt":"yesterday"}'),
        'field placedAt: a string of 9 characters is not a valid date',
      ],
      [
        'a Date field that is a number',
        raw('OrderPlaced', '{"placedAt":5}'),
        'field placedAt: expected an ISO date string',
      ],
      [
        'a bigint field that is not an integer',
        raw('OrderPlaced', '{"total":"12.5"}'),
        'field total: expected an integer string, got "12.5"',
      ],
      [
        'a bigint field that is text',
        raw('OrderPlaced', '{"total":"abc"}'),
        'field total: expected an integer string',
      ],
      [
        'a nested field of the wrong shape',
        raw('OrderPlaced', '{"lines":[{"price":"x"}]}'),
        'field lines[0].price: expected an object',
      ],
      [
        'an array field that is not an array',
        raw('OrderPlaced', '{"dueDates":{}}'),
        'field dueDates: expected an array',
      ],
    ])('%s', (_, record, reason) => {
      const error = errorOf(() => serializer.deserialize(record));
      expect(error).toBeInstanceOf(EventDeserializationError);
      expect(error).toMatchObject({
        code: 'EVENT_DESERIALIZATION_FAILED',
        streamName: 'test-1',
        revision: 7,
        typeName: record.type,
      });
      expect((error as Error).message).toContain(reason);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).x).toBeUndefined();
      expect(Object.prototype).toEqual({});
    });
  });

  it('accepts forbidden words inside string values (only keys are dangerous)', () => {
    const restored = serializer.deserialize<Untyped>(
      raw('Untyped', '{"value":"constructor __proto__ prototype"}'),
    );
    expect(restored.event.value).toBe('constructor __proto__ prototype');
  });

  it('accepts a safe integer number for a bigint field (a field moving from number to bigint)', () => {
    expect(serializer.deserialize<OrderPlaced>(raw('OrderPlaced', '{"total":42}')).event.total).toBe(42n);
  });
});

describe('upcasting', () => {
  it('applies upcasters from the stored version to the current one, in order', () => {
    const restored = serializer.deserialize<Renamed>(
      raw('Renamed', '{"first":"Ada","last":"Lovelace"}', '{"schemaVersion":1}'),
    );
    expect(restored.event).toBeInstanceOf(Renamed);
    expect(restored.event).toMatchObject({ fullName: 'Ada Lovelace', age: 0 });
    const fromV2 = serializer.deserialize<Renamed>(
      raw('Renamed', '{"fullName":"Grace Hopper"}', '{"schemaVersion":2}'),
    );
    expect(fromV2.event).toMatchObject({ fullName: 'Grace Hopper', age: 0 });
  });

  it('no metadata schema version means version 1', () => {
    expect(
      serializer.deserialize<Renamed>(raw('Renamed', '{"first":"A","last":"B"}', '{}')).event.fullName,
    ).toBe('A B');
  });

  it('writes the current version and reads it back without upcasting', () => {
    const data = serializer.serialize(new Renamed('Ada', 36));
    expect(JSON.parse(data.metadata).schemaVersion).toBe(3);
    expect(serializer.deserialize<Renamed>(recorded(data)).event).toMatchObject({ fullName: 'Ada', age: 36 });
  });

  it('a stored version newer than the registered one throws EventSchemaVersionError', () => {
    const error = errorOf(() => serializer.deserialize(raw('Renamed', '{}', '{"schemaVersion":4}')));
    expect(error).toBeInstanceOf(EventSchemaVersionError);
    expect(error).toBeInstanceOf(EventDeserializationError);
    expect(error).toMatchObject({
      code: 'EVENT_SCHEMA_VERSION_UNSUPPORTED',
      storedVersion: 4,
      currentVersion: 3,
      revision: 7,
    });
  });

  it('a failing upcaster, or one returning a non-object, throws EventDeserializationError', () => {
    const failure = new Error('bad data');
    const local = new EventSerializer({
      registry: new EventTypeRegistry()
        .register(Renamed, 'Renamed', {
          version: 2,
          upcasters: {
            1: () => {
              throw failure;
            },
          },
        })
        .register(Untyped, 'Untyped', { version: 2, upcasters: { 1: () => null as never } }),
    });
    const error = errorOf(() => local.deserialize(raw('Renamed', '{}', '{"schemaVersion":1}')));
    expect(error).toBeInstanceOf(EventDeserializationError);
    expect(error).toMatchObject({ cause: failure });
    expect(() => local.deserialize(raw('Untyped', '{}', '{"schemaVersion":1}'))).toThrow(
      'returned null instead of an object',
    );
  });
});

describe('class-transformer types', () => {
  it('use instanceToPlain / plainToInstance and still carry ids from the record', () => {
    const event = new Decorated();
    event.at = new Date('2026-05-05T00:00:00.000Z');
    event.label = 'x';
    const data = serializer.serialize(event);
    expect(JSON.parse(data.data)).toEqual({ at: '2026-05-05T00:00:00.000Z', label: 'x' });
    const restored = serializer.deserialize<Decorated>(recorded(data)).event;
    expect(restored).toBeInstanceOf(Decorated);
    expect(restored.at).toEqual(new Date('2026-05-05T00:00:00.000Z'));
    expect(restored.label).toBe('x');
    expect(restored.msgId).toBe(event.msgId);
  });
});

describe('field schemas', () => {
  it('an invalid schema is reported when the type is first used', () => {
    const local = new EventSerializer({
      registry: new EventTypeRegistry().register(Untyped, 'Untyped', { fields: { value: 'Date' as never } }),
    });
    expect(() => local.serialize(new Untyped(1))).toThrow('invalid field schema');
  });
});
