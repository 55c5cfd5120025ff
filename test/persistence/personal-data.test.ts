import { Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import { InvalidArgumentError } from '../../src/core/reactive-domain.error';
import { REDACTED, type Redacted, isRedacted } from '../../src/core/redacted';
import {
  EncryptionKeyNotFoundError,
  EventDeserializationError,
  EventSerializer,
  ExpectedVersion,
  InMemoryKeyStore,
  InMemoryStreamStore,
  PersonalDataSubjectError,
  PersonalDataTamperedError,
  SubjectForgottenError,
  encryptPersonalData,
  type RecordedEvent,
} from '../../src/persistence';

const CANARY_EMAIL = 'canary-7f3a@example.org';
const CANARY_NAME = 'Zebulon Canaryfield';

class CustomerRegistered extends Event {
  constructor(
    readonly customerId: string,
    readonly email: string | Redacted,
    readonly name: string | Redacted,
    readonly tier: string,
    readonly bornOn?: Date | Redacted,
  ) {
    super();
  }
}
class CustomerNoted extends Event {
  constructor(
    readonly customerId: string,
    readonly note: string,
  ) {
    super();
  }
}

function registry(): EventTypeRegistry {
  return new EventTypeRegistry()
    .register(CustomerRegistered, 'CustomerRegistered', {
      fields: { bornOn: Date },
      personal: { subject: 'customerId', fields: ['email', 'name', 'bornOn'] },
    })
    .register(CustomerNoted, 'CustomerNoted');
}

function setup() {
  const types = registry();
  const inner = new InMemoryStreamStore();
  const keyStore = new InMemoryKeyStore();
  const store = encryptPersonalData(inner, { registry: types, keyStore });
  const serializer = new EventSerializer({ registry: types });
  const append = (stream: string, ...events: object[]) =>
    store.appendToStream(
      stream,
      ExpectedVersion.Any,
      events.map((e) => serializer.serialize(e)),
    );
  const load = async (s: { readStream: typeof store.readStream }, stream: string) => {
    const result = await s.readStream(stream);
    if (result.status !== 'ok') throw new Error(`not ok: ${result.status}`);
    return result.events;
  };
  return { types, inner, keyStore, store, serializer, append, load };
}

const registered = (id = 'c-1') =>
  new CustomerRegistered(id, CANARY_EMAIL, CANARY_NAME, 'gold', new Date('1990-02-03T00:00:00.000Z'));

function allText(events: readonly RecordedEvent[]): string {
  return events.map((e) => e.data + e.metadata).join('\n');
}

describe('personal data registration', () => {
  it.each([
    [{ subject: 'customerId', fields: [] }],
    [{ subject: 'customerId', fields: ['customerId'] }],
    [{ subject: 'msgId', fields: ['email'] }],
    [{ subject: 'customerId', fields: ['correlationId'] }],
    [{ subject: 'customerId', fields: ['__proto__'] }],
    [{ subject: 'customerId', fields: ['email', 'email'] }],
    [{ subject: 'customerId', fields: ['address.street'] }],
    [{ subject: '', fields: ['email'] }],
  ])('rejects %j at registration', (personal) => {
    expect(() => new EventTypeRegistry().register(CustomerRegistered, 'X', { personal })).toThrow(
      InvalidArgumentError,
    );
  });

  it('keeps the spec on the entry, frozen', () => {
    const entry = registry().entryOfName('CustomerRegistered')!;
    expect(entry.personal).toEqual({ subject: 'customerId', fields: ['email', 'name', 'bornOn'] });
    expect(Object.isFrozen(entry.personal!.fields)).toBe(true);
  });
});

describe('encryptPersonalData', () => {
  it('stores ciphertext only, reads the exact event back', async () => {
    const { inner, store, serializer, append, load } = setup();
    const event = registered();
    await append('customer-c-1', event, new CustomerNoted('c-1', 'plain note'));

    const raw = await load(inner, 'customer-c-1');
    expect(allText(raw)).not.toContain(CANARY_EMAIL);
    expect(allText(raw)).not.toContain(CANARY_NAME);
    expect(allText(raw)).not.toContain('1990-02-03');
    const stored = JSON.parse(raw[0]!.data) as Record<string, Record<string, unknown>>;
    expect(stored.customerId).toBe('c-1'); // the subject stays in clear (it finds the key)
    expect(stored.tier).toBe('gold'); // not personal: in clear
    expect(Object.keys(stored.email!).sort()).toEqual(['$rdEnc', 'ct', 'iv', 'kv', 'tag']);
    expect(stored.email!.iv).not.toBe(stored.name!.iv); // a fresh nonce per field
    expect(raw[1]!.data).toContain('plain note'); // a type without personal fields is untouched

    const restored = serializer.deserialize<CustomerRegistered>(
      (await load(store, 'customer-c-1'))[0]!,
    ).event;
    expect(restored).toEqual(event);
    expect(restored).toBeInstanceOf(CustomerRegistered);
    expect(restored.bornOn).toBeInstanceOf(Date);
  });

  it('after forget: the events still load, personal fields are Redacted, others and other subjects intact', async () => {
    const { store, serializer, append, load } = setup();
    await append('customer-c-1', registered('c-1'));
    await append('customer-c-2', registered('c-2'));
    await store.forget('c-1');

    const forgotten = serializer.deserialize<CustomerRegistered>(
      (await load(store, 'customer-c-1'))[0]!,
    ).event;
    expect(forgotten.email).toBe(REDACTED);
    expect(isRedacted(forgotten.name)).toBe(true);
    expect(isRedacted(forgotten.bornOn)).toBe(true);
    expect(forgotten.customerId).toBe('c-1');
    expect(forgotten.tier).toBe('gold');
    expect(JSON.stringify(forgotten)).not.toContain(CANARY_EMAIL);
    expect(`${String(forgotten.email)}`).toBe('[redacted]');

    const kept = serializer.deserialize<CustomerRegistered>((await load(store, 'customer-c-2'))[0]!).event;
    expect(kept.email).toBe(CANARY_EMAIL);

    // Through $all and a live subscription too.
    const all = await store.readAll();
    const texts = all.events.filter((e) => e.streamName === 'customer-c-1').map((e) => e.data);
    expect(texts.join()).not.toContain(CANARY_EMAIL);
    const seen: RecordedEvent[] = [];
    const sub = store.subscribeToAll({}, { onEvent: (e) => void seen.push(e) });
    await waitFor(() => seen.length === 2);
    await sub.close();
    expect(
      serializer.deserialize<CustomerRegistered>(seen.find((e) => e.streamName === 'customer-c-1')!).event
        .email,
    ).toBe(REDACTED);
    expect(
      serializer.deserialize<CustomerRegistered>(seen.find((e) => e.streamName === 'customer-c-2')!).event
        .email,
    ).toBe(CANARY_EMAIL);
  });

  it('refuses new personal data for a forgotten subject and appends nothing', async () => {
    const { inner, store, append, load } = setup();
    await append('customer-c-1', registered());
    await store.forget('c-1');
    await expect(append('customer-c-1', new CustomerNoted('c-1', 'ok'), registered())).rejects.toThrow(
      SubjectForgottenError,
    );
    expect(await load(inner, 'customer-c-1')).toHaveLength(1);
  });

  it('writes a Redacted value back as the marker (allowed after forget), never as data', async () => {
    const { inner, store, serializer, append, load } = setup();
    await append('customer-c-1', registered());
    await store.forget('c-1');
    const old = serializer.deserialize<CustomerRegistered>((await load(store, 'customer-c-1'))[0]!).event;
    const copy = new CustomerRegistered('c-1', old.email, old.name, 'silver', old.bornOn);
    await append('customer-c-1', copy);
    const raw = await load(inner, 'customer-c-1');
    expect(JSON.parse(raw[1]!.data)).toMatchObject({ email: { $rdRedacted: 'forgotten' } });
    const back = serializer.deserialize<CustomerRegistered>((await load(store, 'customer-c-1'))[1]!).event;
    expect(back.email).toBe(REDACTED);
    expect(back.tier).toBe('silver');
  });

  it('rejects a missing or non-string subject, appending nothing', async () => {
    const { inner, append } = setup();
    const bad = new CustomerRegistered(undefined as unknown as string, CANARY_EMAIL, CANARY_NAME, 'gold');
    const error = await append('customer-x', bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersonalDataSubjectError);
    expect(String((error as Error).message)).not.toContain(CANARY_EMAIL);
    expect((await inner.readStream('customer-x')).status).toBe('not_found');
  });

  it('an event read without decryption is a typed error, never ciphertext in a domain object', async () => {
    const { inner, serializer, append, load } = setup();
    await append('customer-c-1', registered());
    const raw = (await load(inner, 'customer-c-1'))[0]!;
    expect(() => serializer.deserialize(raw)).toThrow(EventDeserializationError);
    expect(() => serializer.deserialize(raw)).toThrow(/field email is encrypted/);
  });

  describe('tampering and wrong keys are typed errors that leak nothing', () => {
    async function stored() {
      const ctx = setup();
      await ctx.append('customer-c-1', registered('c-1'));
      await ctx.append('customer-c-2', registered('c-2'));
      const raw = (await ctx.load(ctx.inner, 'customer-c-1'))[0]!;
      const other = (await ctx.load(ctx.inner, 'customer-c-2'))[0]!;
      return { ...ctx, raw, other, payload: JSON.parse(raw.data) as Record<string, Record<string, unknown>> };
    }
    const withData = (raw: RecordedEvent, payload: unknown): RecordedEvent => ({
      ...raw,
      data: JSON.stringify(payload),
    });

    async function expectTampered(decrypt: Promise<unknown>, field?: string) {
      const error = await decrypt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PersonalDataTamperedError);
      if (field) expect((error as PersonalDataTamperedError).field).toBe(field);
      const text = `${(error as Error).message} ${JSON.stringify(error)}`;
      expect(text).not.toContain(CANARY_EMAIL);
      expect(text).not.toContain(CANARY_NAME);
    }

    it('a flipped ciphertext bit', async () => {
      const { store, raw, payload } = await stored();
      const ct = Buffer.from(payload.email!.ct as string, 'base64');
      ct[0] = ct[0]! ^ 1;
      payload.email!.ct = ct.toString('base64');
      await expectTampered(store.cipher.decrypt(withData(raw, payload)), 'email');
    });

    it('a changed tag, or a nonce of the wrong length', async () => {
      const { store, raw, payload } = await stored();
      const tag = Buffer.from(payload.name!.tag as string, 'base64');
      tag[15] = tag[15]! ^ 0x80;
      await expectTampered(
        store.cipher.decrypt(
          withData(raw, { ...payload, name: { ...payload.name, tag: tag.toString('base64') } }),
        ),
        'name',
      );
      await expectTampered(
        store.cipher.decrypt(withData(raw, { ...payload, name: { ...payload.name, iv: 'AAAA' } })),
        'name',
      );
    });

    it('a ciphertext moved to another field, another subject, or relabelled with another key version', async () => {
      const { store, keyStore, raw, other, payload } = await stored();
      await expectTampered(store.cipher.decrypt(withData(raw, { ...payload, name: payload.email })), 'name');
      // c-2's email under c-1's subject: wrong key and wrong AAD.
      const otherPayload = JSON.parse(other.data) as Record<string, unknown>;
      await expectTampered(
        store.cipher.decrypt(withData(raw, { ...payload, email: otherPayload.email })),
        'email',
      );
      // The subject field rewritten to point at another subject's key.
      await expectTampered(store.cipher.decrypt(withData(raw, { ...payload, customerId: 'c-2' })));
      await keyStore.rotate('c-1');
      await expectTampered(
        store.cipher.decrypt(withData(raw, { ...payload, email: { ...payload.email, kv: 2 } })),
        'email',
      );
      await expectTampered(
        store.cipher.decrypt(withData(raw, { ...payload, email: { ...payload.email, kv: 'x' } })),
        'email',
      );
    });

    it('the right key version from the wrong key store', async () => {
      const { types, raw } = await stored();
      const wrongKeys = new InMemoryKeyStore();
      await wrongKeys.currentKey('c-1');
      const store = encryptPersonalData(new InMemoryStreamStore(), { registry: types, keyStore: wrongKeys });
      await expectTampered(store.cipher.decrypt(raw));
    });

    it('a lost key store is EncryptionKeyNotFoundError, not a silent redaction', async () => {
      const { types, raw } = await stored();
      const store = encryptPersonalData(new InMemoryStreamStore(), {
        registry: types,
        keyStore: new InMemoryKeyStore(),
      });
      const error = await store.cipher.decrypt(raw).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EncryptionKeyNotFoundError);
    });

    it('a failing decryption drops a subscription with the typed error', async () => {
      const { store, inner, raw, payload } = await stored();
      await inner.appendToStream('customer-c-9', ExpectedVersion.Any, [
        {
          eventId: '0190a000-0000-7000-8000-000000000009',
          type: raw.type,
          metadata: raw.metadata,
          data: JSON.stringify({ ...payload, name: payload.email }),
        },
      ]);
      let dropped: Error | undefined;
      const sub = store.subscribeToStream(
        'customer-c-9',
        {},
        { onEvent: () => undefined, onDropped: (e) => (dropped = e) },
      );
      await waitFor(() => dropped !== undefined);
      await sub.close();
      expect(dropped!.cause ?? dropped).toBeInstanceOf(PersonalDataTamperedError);
    });
  });

  it('rotation: new writes use the new version, old versions stay readable until forgotten', async () => {
    const { inner, store, keyStore, serializer, append, load } = setup();
    await append('customer-c-1', registered());
    const v2 = await keyStore.rotate('c-1');
    expect(v2.version).toBe(2);
    await append('customer-c-1', new CustomerRegistered('c-1', 'second@example.org', 'Second', 'gold'));
    const raw = await load(inner, 'customer-c-1');
    expect(raw.map((e) => (JSON.parse(e.data) as { email: { kv: number } }).email.kv)).toEqual([1, 2]);
    const events = (await load(store, 'customer-c-1')).map(
      (e) => serializer.deserialize<CustomerRegistered>(e).event,
    );
    expect(events.map((e) => e.email)).toEqual([CANARY_EMAIL, 'second@example.org']);
    await store.forget('c-1');
    const after = (await load(store, 'customer-c-1')).map(
      (e) => serializer.deserialize<CustomerRegistered>(e).event,
    );
    expect(after.map((e) => e.email)).toEqual([REDACTED, REDACTED]);
    await expect(keyStore.rotate('c-1')).rejects.toThrow(SubjectForgottenError);
  });

  it('in-memory key store validates its arguments', async () => {
    const keys = new InMemoryKeyStore();
    await expect(keys.currentKey('')).rejects.toThrow(InvalidArgumentError);
    await expect(keys.key('a', 0)).rejects.toThrow(InvalidArgumentError);
    const key = await keys.currentKey('a');
    expect(key.key).toHaveLength(32);
    expect(await keys.currentKey('a')).toBe(key);
    expect(await keys.key('a', 1)).toBe(key);
    await keys.forget('a');
    expect(await keys.key('a', 1)).toBeUndefined();
    expect(await keys.isForgotten('a')).toBe(true);
  });
});

async function waitFor(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
