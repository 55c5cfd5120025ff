import { newId } from '../../src/core/id';
import { Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import {
  EventDeserializationError,
  EventSerializationError,
  EventSerializer,
  type RecordedEvent,
} from '../../src/persistence';

class Noted extends Event {
  constructor(readonly body: unknown) {
    super();
  }
}

/** After a refactor `gross` became computed; old events still store a `gross` field. */
class InvoiceIssued extends Event {
  constructor(
    readonly net: number,
    readonly tax: number,
  ) {
    super();
  }
  get gross(): number {
    return this.net + this.tax;
  }
}

let setterRuns = 0;
class Renamed extends Event {
  #title = '';
  constructor(title: string) {
    super();
    this.#title = title;
  }
  get title(): string {
    return this.#title;
  }
  set title(value: string) {
    setterRuns++;
    this.#title = value;
  }
}

class Price {
  constructor(readonly cents: number) {}
  get euros(): number {
    return this.cents / 100;
  }
}
class Priced extends Event {
  constructor(readonly price: Price) {
    super();
  }
}

const registry = new EventTypeRegistry()
  .register(Noted, 'Noted')
  .register(InvoiceIssued, 'InvoiceIssued')
  .register(Renamed, 'Renamed')
  .register(Priced, 'Priced', { fields: { price: Price } });
const serializer = new EventSerializer({ registry });

function raw(type: string, data: string, metadata = '{"rdMetaVersion":1,"schemaVersion":1}'): RecordedEvent {
  return {
    streamName: 'hostile-1',
    revision: 3,
    position: 10n,
    eventId: newId(),
    type,
    data,
    metadata,
    created: new Date(),
  };
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function nested(depth: number, inner: string): string {
  return '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

describe('deeply nested stored data', () => {
  it.each([
    ['a forbidden key', '{"__proto__":1}'],
    ['a \\u escape', '"caf\\u00e9"'],
    ['constructor', '{"constructor":{}}'],
  ])('a payload nested 20,000 levels holding %s -> typed error, no RangeError', (_label, inner) => {
    const error = errorOf(() => serializer.deserialize(raw('Noted', `{"body":${nested(20_000, inner)}}`)));
    expect(error).toBeInstanceOf(EventDeserializationError);
    expect((error as Error).message).toContain('nested deeper than 256 levels');
    expect((error as EventDeserializationError).streamName).toBe('hostile-1');
  });

  it('metadata nested 20,000 levels with a forbidden key -> typed error', () => {
    const metadata = `{"rdMetaVersion":1,"headers":${nested(20_000, '{"__proto__":1}')}}`;
    const error = errorOf(() => serializer.deserialize(raw('Noted', '{"body":1}', metadata)));
    expect(error).toBeInstanceOf(EventDeserializationError);
    expect((error as Error).message).toMatch(/metadata is nested deeper than 256 levels/);
  });

  it('a forbidden key within the bound is still found and named by its path', () => {
    const error = errorOf(() =>
      serializer.deserialize(raw('Noted', `{"body":{"list":[1,{"x":${nested(100, '{"prototype":1}')}}]}}`)),
    );
    expect(error).toBeInstanceOf(EventDeserializationError);
    expect((error as Error).message).toMatch(/forbidden key body\.list\[1\]\.x(\.a){100}\."prototype"/);
  });

  it('legitimate deep-ish data with an escape still reads', () => {
    const { event } = serializer.deserialize<Noted>(raw('Noted', `{"body":${nested(200, '"caf\\u00e9"')}}`));
    let body = event.body as Record<string, unknown> | string;
    for (let i = 0; i < 200; i++) body = (body as Record<string, unknown>).a as Record<string, unknown>;
    expect(body).toBe('café');
  });

  it('serializing a payload or headers nested too deep (or cyclic) is a typed error, not a RangeError', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20_000; i++) deep = (deep.a = {}) as Record<string, unknown>;
    expect(errorOf(() => serializer.serialize(new Noted(root)))).toBeInstanceOf(EventSerializationError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorOf(() => serializer.serialize(new Noted(cyclic)))).toBeInstanceOf(EventSerializationError);
    const error = errorOf(() => serializer.serialize(new Noted(1), { headers: { deep: root as never } }));
    expect(error).toBeInstanceOf(EventSerializationError);
    expect((error as Error).message).toContain('nested deeper than 256 levels');
  });
});

describe('stored fields that are accessors on the class', () => {
  it('a getter-only field -> typed error naming the type and the field', () => {
    const error = errorOf(() =>
      serializer.deserialize(raw('InvoiceIssued', '{"net":100,"tax":20,"gross":120}')),
    );
    expect(error).toBeInstanceOf(EventDeserializationError);
    const failure = error as EventDeserializationError;
    expect(failure.typeName).toBe('InvoiceIssued');
    expect(failure.reason).toMatch(/^field gross: is a getter without a setter of InvoiceIssued/);
  });

  it('stored data never runs a class setter', () => {
    const stored = serializer.serialize(new Renamed('x'));
    expect(JSON.parse(stored.data)).toEqual({}); // the private field is not stored
    setterRuns = 0;
    const error = errorOf(() => serializer.deserialize(raw('Renamed', '{"title":"injected"}')));
    expect(error).toBeInstanceOf(EventDeserializationError);
    expect((error as Error).message).toMatch(/field title: is a getter\/setter pair of Renamed/);
    expect(setterRuns).toBe(0);
  });

  it('value objects are guarded too (the field path names where)', () => {
    const error = errorOf(() => serializer.deserialize(raw('Priced', '{"price":{"cents":250,"euros":2.5}}')));
    expect(error).toBeInstanceOf(EventDeserializationError);
    expect((error as Error).message).toMatch(/field price\.euros: is a getter without a setter of Price/);
    const { event } = serializer.deserialize<Priced>(raw('Priced', '{"price":{"cents":250}}'));
    expect(event.price.euros).toBe(2.5);
  });

  it('ordinary events still round-trip with their getters working', () => {
    const { event } = serializer.deserialize<InvoiceIssued>(
      (() => {
        const data = serializer.serialize(new InvoiceIssued(100, 20));
        return { ...raw('InvoiceIssued', data.data, data.metadata), eventId: data.eventId };
      })(),
    );
    expect(event).toBeInstanceOf(InvoiceIssued);
    expect(event.gross).toBe(120);
  });
});
