/** SqliteInboxStore and SqliteOutboxStore on a temporary file: effects once, outbox rows only with their commit. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  SqliteDatabase,
  SqliteInboxStore,
  SqliteOutboxStore,
  SqliteStreamStore,
} from '../../../src/adapters/sqlite';
import { newId } from '../../../src/core/id';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import {
  InMemoryTransport,
  OutboxRelay,
  withInbox,
  type MessageTransport,
  type PublishOptions,
  type TransportDelivery,
  type TransportMessage,
} from '../../../src/transport';
import { FixtureProcess } from './fixtures/child-process';

const message = (id = newId(), extra: Partial<TransportMessage> = {}): TransportMessage => ({
  messageId: id,
  type: 'ReserveStock',
  body: JSON.stringify({ id }),
  ...extra,
});

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-inbox-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteInboxStore', () => {
  let file: string;
  let database: SqliteDatabase;
  let inbox: SqliteInboxStore;

  beforeAll(() => {
    file = join(dir, 'inbox.sqlite');
    database = SqliteDatabase.open(file);
    database.connection.exec('CREATE TABLE effects (message_id TEXT NOT NULL)');
    inbox = new SqliteInboxStore(database);
  });
  afterAll(() => database.close());

  const effectsOf = (id: string) =>
    database.connection
      .prepare<[string], number>('SELECT count(*) FROM effects WHERE message_id = ?')
      .pluck()
      .get(id);
  const inboxRows = (consumer: string, id?: string) =>
    database.connection
      .prepare<[string, string | null, string | null], number>(
        'SELECT count(*) FROM rd_inbox WHERE consumer = ? AND (? IS NULL OR message_id = ?)',
      )
      .pluck()
      .get(consumer, id ?? null, id ?? null);
  const effect = (id: string) => (tx: BetterSqlite3.Database) => {
    tx.prepare('INSERT INTO effects VALUES (?)').run(id);
    return 'done';
  };

  it('the same message delivered twice has one effect', async () => {
    const id = newId();
    expect(await inbox.handleOnce('orders', id, effect(id))).toEqual({ status: 'handled', result: 'done' });
    const before = inbox.duplicates;
    expect(await inbox.handleOnce('orders', id, effect(id))).toEqual({ status: 'duplicate' });
    expect(inbox.duplicates).toBe(before + 1);
    expect(effectsOf(id)).toBe(1);
    expect((await inbox.handleOnce('billing', id, effect(id))).status).toBe('handled');
    expect(effectsOf(id)).toBe(2);
  });

  it('a handler that throws leaves neither its effect nor an inbox row, and the redelivery runs it', async () => {
    const id = newId();
    const failure = new Error('handler failed');
    await expect(
      inbox.handleOnce('orders', id, async (tx) => {
        effect(id)(tx);
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(effectsOf(id)).toBe(0);
    expect(inboxRows('orders', id)).toBe(0);
    expect((await inbox.handleOnce('orders', id, effect(id))).status).toBe('handled');
    expect(effectsOf(id)).toBe(1);
  });

  /**
   * Delivers `id` twice at once through two stores: the first delivery's effect writes, then holds its transaction
   * open while the second delivery starts, then ends with `finish` (returns or throws).
   */
  const concurrentDeliveries = async (id: string, finish: () => string) => {
    const other = new SqliteInboxStore(database);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstStarted = false;
    const first = inbox.handleOnce('orders', id, async (tx) => {
      firstStarted = true;
      effect(id)(tx);
      await gate;
      return finish();
    });
    await until(() => firstStarted, 'the first delivery’s effect to start');
    const second = other.handleOnce('orders', id, effect(id));
    release();
    return { first, second };
  };

  it('concurrent redelivery of one id from two consumers: one effect, the other a duplicate', async () => {
    const id = newId();
    const { first, second } = await concurrentDeliveries(id, () => 'first');
    expect(await Promise.all([first, second])).toEqual([
      { status: 'handled', result: 'first' },
      { status: 'duplicate' },
    ]);
    expect(effectsOf(id)).toBe(1);
  });

  it('concurrent redelivery where the first handler fails: the waiting one runs the effect, once', async () => {
    const id = newId();
    const { first, second } = await concurrentDeliveries(id, () => {
      throw new Error('first delivery failed');
    });
    await expect(first).rejects.toThrow('first delivery failed');
    expect(await second).toEqual({ status: 'handled', result: 'done' });
    expect(effectsOf(id)).toBe(1);
  });

  it('a redelivery to another connection on the same file (another process) is a duplicate', async () => {
    const id = newId();
    expect((await inbox.handleOnce('orders', id, effect(id))).status).toBe('handled');
    const second = SqliteDatabase.open(file);
    try {
      const elsewhere = new SqliteInboxStore(second);
      expect(await elsewhere.handleOnce('orders', id, effect(id))).toEqual({ status: 'duplicate' });
    } finally {
      second.close();
    }
    expect(effectsOf(id)).toBe(1);
  });

  it('two processes redelivering one id at once: one effect (the second waits for the write lock, then skips)', async () => {
    const shared = join(dir, 'two-processes.sqlite');
    const setup = SqliteDatabase.open(shared);
    setup.connection.exec('CREATE TABLE effects (message_id TEXT NOT NULL, pid INTEGER NOT NULL)');
    setup.close();
    const id = newId();
    const first = new FixtureProcess('inbox-once.ts', [shared, id, 'hold']);
    await first.waitFor((lines) => lines.includes('holding'), 'the first process to hold its transaction');
    const second = new FixtureProcess('inbox-once.ts', [shared, id]);
    await second.waitFor((lines) => lines.includes('started'), 'the second process to start');
    // The second is now blocked in BEGIN IMMEDIATE behind the first one's open transaction.
    expect(second.lines).not.toContain('outcome duplicate');
    first.write('go\n');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(first.lines).toContain('outcome handled');
    expect(second.lines).toContain('outcome duplicate');
    const check = SqliteDatabase.open(shared);
    try {
      expect(check.connection.prepare('SELECT count(*) FROM effects').pluck().get()).toBe(1);
    } finally {
      check.close();
    }
  }, 120_000);

  it('withInbox over a transport: a message published twice is handled once and the duplicate acked', async () => {
    const transport = new InMemoryTransport();
    const handled: string[] = [];
    const duplicates: string[] = [];
    const subscription = await transport.subscribe(
      { group: 'warehouse', topics: ['stock.reserve'] },
      withInbox(
        inbox,
        'warehouse',
        (delivery: TransportDelivery, tx: BetterSqlite3.Database) => {
          effect(delivery.message.messageId)(tx);
          handled.push(delivery.message.messageId);
        },
        { onDuplicate: (delivery) => duplicates.push(delivery.message.messageId) },
      ),
    );
    const m = message();
    await transport.publish('stock.reserve', m);
    await transport.publish('stock.reserve', m);
    await until(() => handled.length + duplicates.length === 2, 'both deliveries settled');
    expect(handled).toEqual([m.messageId]);
    expect(duplicates).toEqual([m.messageId]);
    expect(effectsOf(m.messageId)).toBe(1);
    await subscription.close();
    await transport.close();
  });

  it('retention: the count bound keeps the newest per consumer; prune forgets by date', async () => {
    const bounded = new SqliteInboxStore(database, { maxEntriesPerConsumer: 3, retentionEvery: 1_000_000 });
    const ids = Array.from({ length: 5 }, () => newId());
    for (const id of ids) await bounded.handleOnce('bounded', id, () => undefined);
    expect(inboxRows('bounded')).toBe(5);
    await bounded.enforceRetention();
    expect(inboxRows('bounded')).toBe(3);
    expect((await bounded.handleOnce('bounded', ids[0]!, () => undefined)).status).toBe('handled');
    expect((await bounded.handleOnce('bounded', ids[4]!, () => undefined)).status).toBe('duplicate');
    database.connection
      .prepare("UPDATE rd_inbox SET received = received - 30 * 86400000 WHERE consumer = 'bounded'")
      .run();
    expect(await bounded.prune(new Date(Date.now() - 7 * 86_400_000))).toBe(4);
    expect(inboxRows('bounded')).toBe(0);
  });

  it('the automatic retention run starts every retentionEvery handled messages', async () => {
    const auto = new SqliteInboxStore(database, { maxEntriesPerConsumer: 2, retentionEvery: 4 });
    for (let i = 0; i < 4; i++) await auto.handleOnce('auto', newId(), () => undefined);
    await until(() => inboxRows('auto') === 2, 'the retention run to trim consumer "auto" to 2');
  });

  it('handleOnceSync: events appended in the effect commit with the id (once), or not at all', async () => {
    const store = new SqliteStreamStore({ database });
    try {
      const id = newId();
      const append = (tx: BetterSqlite3.Database) =>
        store.appendInTransaction(tx, `replica-${id}`, ExpectedVersion.Any, [
          { eventId: id, type: 'StockReserved', data: '{}', metadata: '{}' },
        ]);
      await expect(
        inbox.handleOnceSync('replica', id, (tx) => {
          append(tx);
          throw new Error('failed after the append');
        }),
      ).rejects.toThrow('failed after the append');
      expect(await store.readStream(`replica-${id}`)).toMatchObject({ status: 'not_found' });
      expect((await inbox.handleOnceSync('replica', id, append)).status).toBe('handled');
      expect(await inbox.handleOnceSync('replica', id, append)).toEqual({ status: 'duplicate' });
      const read = await store.readStream(`replica-${id}`);
      expect(read.status === 'ok' && read.events.length).toBe(1);
      // An append inside the asynchronous handleOnce is refused (its readers could see it before the commit).
      await expect(inbox.handleOnce('replica', newId(), append)).rejects.toThrow(/writeTransaction/);
    } finally {
      await store.close();
    }
  });

  it('bad input is a typed error', async () => {
    await expect(inbox.handleOnce('', newId(), () => undefined)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(() => new SqliteInboxStore(database, { retentionEvery: 0 })).toThrow(/retentionEvery/);
  });
});

/** A transport that records what it published; the publish with call number `failCall` is not confirmed. */
class RecordingTransport implements MessageTransport {
  readonly name = 'recording';
  readonly published: { topic: string; message: TransportMessage }[] = [];
  failCall = 0;
  private calls = 0;
  async publish(topic: string, message: TransportMessage, _options?: PublishOptions): Promise<void> {
    if (++this.calls === this.failCall) throw new Error('broker did not confirm');
    this.published.push({ topic, message });
  }
  async ensureGroup(): Promise<void> {}
  subscribe(): never {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

describe('SqliteOutboxStore', () => {
  let database: SqliteDatabase;
  let store: SqliteStreamStore;
  let outbox: SqliteOutboxStore;

  beforeAll(() => {
    database = SqliteDatabase.open(join(dir, 'outbox.sqlite'));
    store = new SqliteStreamStore({ database });
    outbox = new SqliteOutboxStore(database);
  });
  afterAll(async () => {
    await store.close();
    database.close();
  });

  const event = () => ({ eventId: newId(), type: 'OrderPlaced', data: '{}', metadata: '{}' });
  const outboxCount = () =>
    database.connection.prepare<[], number>('SELECT count(*) FROM rd_outbox').pluck().get();

  /** One write transaction: append to `stream` and enqueue `messages`; throws (rolls back) unless `commit`. */
  function decide(stream: string, messages: TransportMessage[], commit: boolean): void {
    const rollback = new Error('decided to roll back');
    try {
      database.writeTransaction('place order', (tx) => {
        store.appendInTransaction(tx, stream, ExpectedVersion.Any, [event()]);
        outbox.enqueueSync(
          tx,
          messages.map((m) => ({ topic: 'warehouse.commands', message: m })),
        );
        if (!commit) throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
    }
  }

  it('a rolled-back transaction leaves neither the event nor the outbox row', async () => {
    const stream = `order-${newId()}`;
    decide(stream, [message()], false);
    expect(await store.readStream(stream)).toMatchObject({ status: 'not_found' });
    expect(outboxCount()).toBe(0);
  });

  it('the relay publishes exactly what committed, in order, with every field, and marks it sent after the confirm', async () => {
    const committed = [
      message(newId(), {
        correlationId: 'c-1',
        causationId: 'k-1',
        tenant: 'acme',
        headers: { origin: 'orders' },
      }),
      message(),
    ];
    const stream = `order-${newId()}`;
    decide(stream, committed, true);
    decide(`order-${newId()}`, [message()], false);
    expect(await store.readStream(stream)).toMatchObject({ status: 'ok' });
    expect(outboxCount()).toBe(2);
    const transport = new RecordingTransport();
    transport.failCall = 2;
    const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 20 });
    await expect(relay.relayOnce()).rejects.toThrow('broker did not confirm');
    expect(transport.published.map((p) => p.message.messageId)).toEqual([committed[0]!.messageId]);
    expect((await outbox.pending(10)).map((e) => e.message.messageId)).toEqual([committed[1]!.messageId]);
    expect(await relay.relayOnce()).toBe(1);
    expect(transport.published.map((p) => p.message)).toEqual(committed);
    expect(outboxCount()).toBe(0);
    expect(await relay.relayOnce()).toBe(0);
  });

  it('an entry enqueued in an open asynchronous transaction is not relayed until it commits', async () => {
    const transport = new RecordingTransport();
    const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 20 });
    const m = message();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let enqueued = false;
    const open = database.asyncWriteTransaction('inbox effect', async (tx) => {
      await outbox.enqueue(tx, [{ topic: 'warehouse.commands', message: m }]);
      enqueued = true;
      await gate;
    });
    await until(() => enqueued, 'the entry to be enqueued in the open transaction');
    const round = relay.relayOnce();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(transport.published).toEqual([]);
    release();
    await open;
    expect(await round).toBe(1);
    expect(transport.published.map((p) => p.message.messageId)).toEqual([m.messageId]);
  });

  it('appendInTransaction and enqueue refuse a connection outside a transaction; a bad entry writes nothing', () => {
    expect(() =>
      store.appendInTransaction(database.connection, `order-${newId()}`, ExpectedVersion.Any, [event()]),
    ).toThrow(/writeTransaction/);
    expect(() => outbox.enqueueSync(database.connection, [])).toThrow(/write transaction/);
    expect(() =>
      database.writeTransaction('bad entry', (tx) =>
        outbox.enqueueSync(tx, [
          { topic: 'warehouse.commands', message: message() },
          { topic: 'bad topic', message: message() },
        ]),
      ),
    ).toThrow(/invalid topic/);
    expect(outboxCount()).toBe(0);
  });
});
