/**
 * A canary value in a personal field (or a command field) must never appear in an error's message, stack, cause
 * chain or serialised form: errors end up in logs, and logs are not where personal data may live.
 */
import { Command, Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import { AggregateRoot } from '../../src/core/aggregate-root';
import { type Redacted } from '../../src/core/redacted';
import { defineId, type Id } from '../../src/core/id';
import { CommandDispatcher, QueryBus } from '../../src/messaging';
import { Query } from '../../src/core/message';
import { ListenerSources, ReadModelBase, StreamStoreRepository } from '../../src/foundation';
import {
  EventSerializer,
  ExpectedVersion,
  InMemoryKeyStore,
  InMemoryStreamStore,
  encryptPersonalData,
  type RecordedEvent,
} from '../../src/persistence';

const CANARY = 'canary-3b1e-9@example.org';

const PersonId = defineId('PersonId');
type PersonId = Id<'PersonId'>;
class PersonRegistered extends Event {
  constructor(
    readonly personId: PersonId,
    readonly email: string | Redacted,
    readonly bornOn?: Date,
  ) {
    super();
  }
}
const registry = new EventTypeRegistry().register(PersonRegistered, 'PersonRegistered', {
  fields: { bornOn: Date },
  personal: { subject: 'personId', fields: ['email', 'bornOn'] },
});
class Person extends AggregateRoot<PersonId> {
  static readonly typeName = 'Person';
  static override eventTypes = registry;
  email: string | Redacted = '';
  signUp(email: string): void {
    this.raise(new PersonRegistered(this.id, email));
  }
  protected applyPersonRegistered(e: PersonRegistered): void {
    this.email = e.email;
  }
}
class Register extends Command {
  constructor(readonly email: string) {
    super();
  }
}
class Lookup extends Query<string> {
  constructor(readonly email: string) {
    super();
  }
}

/** Every text an error exposes to a logger: message, stack, enumerable properties, and the same for its causes. */
function exposed(error: unknown, depth = 0): string {
  if (depth > 8 || error === undefined || error === null) return '';
  // Not `instanceof Error`: errors of built-ins (JSON.parse) come from another realm under Jest.
  if (typeof error !== 'object' || typeof (error as Error).message !== 'string')
    return typeof error === 'string' ? error : safeJson(error);
  const e = error as Error;
  return [e.message, e.stack ?? '', safeJson(e), String(e), exposed(e.cause, depth + 1)].join('\n');
}
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? '';
  } catch {
    return '';
  }
}
async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
function expectClean(error: unknown): void {
  expect(typeof (error as Error | undefined)?.message).toBe('string');
  // Any part of it: V8 quotes truncated snippets of JSON input ("...email":canary-3b1"...).
  expect(exposed(error)).not.toMatch(/canary/i);
}

const raw = (data: string, revision = 0): RecordedEvent => ({
  streamName: 'person-1',
  revision,
  position: 1n,
  eventId: '0190a000-0000-7000-8000-000000000001',
  type: 'PersonRegistered',
  data,
  metadata: '{"schemaVersion":1,"rdMetaVersion":1}',
  created: new Date(),
});

describe('no personal data in errors (canary)', () => {
  const serializer = new EventSerializer({ registry });

  it('the probe finds the canary wherever an error exposes it (else every check below would pass blindly)', () => {
    expect(() => expectClean(new Error(`bad ${CANARY}`))).toThrow();
    expect(() => expectClean(Object.assign(new Error('bad'), { email: CANARY }))).toThrow();
    expect(() => expectClean(new Error('bad', { cause: new Error('worse', { cause: CANARY }) }))).toThrow();
    expect(() => expectClean(undefined)).toThrow();
    expectClean(new Error('bad', { cause: new Error('worse') }));
  });

  it('serializer: malformed stored JSON around a personal value', () => {
    expectClean(thrown(() => serializer.deserialize(raw(`{"personId":"p","email":"${CANARY}"`))));
    // V8 quotes the text around an unexpected token in its SyntaxError.
    expectClean(thrown(() => serializer.deserialize(raw(`{"personId":"p","email":${CANARY}}`))));
    expectClean(
      thrown(() => serializer.deserialize({ ...raw('{}'), metadata: `{"headers":{"email":${CANARY}}}` })),
    );
    expectClean(thrown(() => serializer.deserialize(raw(`{"personId":"p","email":"${CANARY}",}`))));
  });

  it('serializer: a personal field that does not fit its schema', () => {
    expectClean(
      thrown(() =>
        serializer.deserialize(raw(JSON.stringify({ personId: 'p', email: 'x', bornOn: CANARY }))),
      ),
    );
  });

  it('repository and store: a conflicting save and a corrupt stored event', async () => {
    const store = encryptPersonalData(new InMemoryStreamStore(), {
      registry,
      keyStore: new InMemoryKeyStore(),
    });
    const repository = new StreamStoreRepository({ store, serializer });
    const id = PersonId.create();
    const person = new Person(id, new Register(CANARY));
    person.signUp(CANARY);
    await store.appendToStream(`person-${id}`, ExpectedVersion.Any, [
      serializer.serialize(new PersonRegistered(id, CANARY)),
    ]);
    expectClean(await caught(() => repository.save(person))); // wrong expected version
    const broken = `person-${PersonId.create()}`;
    await store.inner.appendToStream(broken, ExpectedVersion.Any, [
      {
        eventId: '0190a000-0000-7000-8000-000000000002',
        type: 'PersonRegistered',
        metadata: '{}',
        data: `{"email":"${CANARY}"`,
      },
    ]);
    expectClean(await caught(() => repository.getById(Person, broken.slice('person-'.length) as PersonId)));
  });

  it('dispatcher and query bus: failing and unhandled messages', async () => {
    const dispatcher = new CommandDispatcher();
    expectClean(await caught(() => dispatcher.send(new Register(CANARY)))); // no handler
    dispatcher.register(Register, () => {
      throw new Error('domain rule broken');
    });
    expectClean(await caught(() => dispatcher.send(new Register(CANARY))));
    const response = (await dispatcher.trySend(new Register(CANARY))) as { error?: unknown };
    expectClean(response.error);
    const queries = new QueryBus();
    expectClean(await caught(() => queries.fetch(new Lookup(CANARY))));
  });

  it('read models: a failing handler reports the event without its data', async () => {
    const store = encryptPersonalData(new InMemoryStreamStore(), {
      registry,
      keyStore: new InMemoryKeyStore(),
    });
    const id = PersonId.create();
    await store.appendToStream(`person-${id}`, ExpectedVersion.Any, [
      serializer.serialize(new PersonRegistered(id, CANARY)),
    ]);
    class Failing extends ReadModelBase {
      static override eventTypes = registry;
      protected applyPersonRegistered(): void {
        throw new Error('projection bug');
      }
    }
    const model = new Failing('failing', { store, serializer, onError: () => undefined });
    await model.start(ListenerSources.category('person'));
    const failure = await model.whenLive().then(
      () => undefined,
      (e: unknown) => e,
    );
    expectClean(failure);
    expectClean(model.failure);
    await model.stop();
  });
});
