/** PostgresInboxStore and PostgresOutboxStore on the real server: effects once, outbox rows only with their commit. */
import type { Pool, PoolClient } from 'pg';
import { PostgresInboxStore, PostgresOutboxStore, PostgresStreamStore } from '../../../src/adapters/postgres';
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
import { describeWithServer } from '../../support/servers';
import { freshSchema, testPool, until } from './pg-test-support';

const message = (id = newId(), extra: Partial<TransportMessage> = {}): TransportMessage => ({
  messageId: id,
  type: 'ReserveStock',
  body: JSON.stringify({ id }),
  ...extra,
});

describeWithServer('postgres', 'PostgresInboxStore', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let pool: Pool;
  let inbox: PostgresInboxStore;

  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
    pool = testPool(6);
    inbox = new PostgresInboxStore({ pool, schema });
    await pool.query(`CREATE TABLE "${schema}".effects (message_id text NOT NULL, n int NOT NULL)`);
  });
  afterAll(async () => {
    await inbox.close();
    await pool.end();
    await drop();
  });

  const effectsOf = async (id: string) =>
    Number(
      (await pool.query(`SELECT count(*) AS n FROM "${schema}".effects WHERE message_id = $1`, [id])).rows[0]
        .n,
    );
  const inboxRows = async (consumer: string, id?: string) =>
    Number(
      (
        await pool.query(
          `SELECT count(*) AS n FROM "${schema}".inbox WHERE consumer = $1 AND ($2::text IS NULL OR message_id = $2)`,
          [consumer, id ?? null],
        )
      ).rows[0].n,
    );
  const effect = (id: string) => async (tx: PoolClient) => {
    await tx.query(`INSERT INTO "${schema}".effects VALUES ($1, 1)`, [id]);
    return 'done';
  };

  it('the same message delivered twice has one effect', async () => {
    const id = newId();
    expect(await inbox.handleOnce('orders', id, effect(id))).toEqual({ status: 'handled', result: 'done' });
    const before = inbox.duplicates;
    expect(await inbox.handleOnce('orders', id, effect(id))).toEqual({ status: 'duplicate' });
    expect(inbox.duplicates).toBe(before + 1);
    expect(await effectsOf(id)).toBe(1);
    // Another consumer keeps its own record: it handles the message once too.
    expect((await inbox.handleOnce('billing', id, effect(id))).status).toBe('handled');
    expect(await effectsOf(id)).toBe(2);
  });

  it('a handler that throws leaves neither its effect nor an inbox row, and the redelivery runs it', async () => {
    const id = newId();
    const failure = new Error('handler failed');
    await expect(
      inbox.handleOnce('orders', id, async (tx) => {
        await effect(id)(tx);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await effectsOf(id)).toBe(0);
    expect(await inboxRows('orders', id)).toBe(0);
    expect((await inbox.handleOnce('orders', id, effect(id))).status).toBe('handled');
    expect(await effectsOf(id)).toBe(1);
  });

  /** Resolves once a backend of this schema waits on a lock inside an inbox insert (the second consumer). */
  const insertWaiting = () =>
    until(async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
        [`INSERT INTO "${schema}".inbox%`],
      );
      return rows[0].n > 0;
    }, 'the second delivery to wait on the first one’s inbox key');

  /**
   * Delivers `id` twice at once through two stores: the first delivery's effect writes, then holds its transaction
   * open until the second delivery waits on its inbox key, then ends with `finish` (returns or throws).
   */
  const concurrentDeliveries = async (id: string, finish: () => string) => {
    const other = new PostgresInboxStore({ pool, schema });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstStarted = false;
    const first = inbox.handleOnce('orders', id, async (tx) => {
      firstStarted = true;
      await effect(id)(tx);
      await gate;
      return finish();
    });
    await until(() => firstStarted, 'the first delivery’s effect to start');
    const second = other.handleOnce('orders', id, effect(id));
    await insertWaiting();
    release();
    return { first, second, other };
  };

  it('concurrent redelivery of one id from two consumers: one effect (the second waits, then sees the commit)', async () => {
    const id = newId();
    const { first, second, other } = await concurrentDeliveries(id, () => 'first');
    const outcomes = await Promise.all([first, second]);
    expect(outcomes).toEqual([{ status: 'handled', result: 'first' }, { status: 'duplicate' }]);
    expect(await effectsOf(id)).toBe(1);
    await other.close();
  });

  it('concurrent redelivery where the first handler fails: the waiting one runs the effect, once', async () => {
    const id = newId();
    const { first, second, other } = await concurrentDeliveries(id, () => {
      throw new Error('first delivery failed');
    });
    await expect(first).rejects.toThrow('first delivery failed');
    expect(await second).toEqual({ status: 'handled', result: 'done' });
    expect(await effectsOf(id)).toBe(1);
    expect(await inboxRows('orders', id)).toBe(1);
    await other.close();
  });

  it('withInbox over a transport: a message published twice is handled once and the duplicate acked', async () => {
    const transport = new InMemoryTransport();
    const handled: string[] = [];
    const duplicates: string[] = [];
    const subscription = await transport.subscribe(
      { group: 'warehouse', topics: ['stock.reserve'] },
      withInbox(
        inbox,
        'warehouse',
        async (delivery: TransportDelivery, tx: PoolClient) => {
          await effect(delivery.message.messageId)(tx);
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
    expect(await effectsOf(m.messageId)).toBe(1);
    await subscription.close();
    await transport.close();
  });

  it('retention: prune forgets ids older than a date; the count bound keeps the newest per consumer', async () => {
    const bounded = new PostgresInboxStore({
      pool,
      schema,
      maxEntriesPerConsumer: 3,
      retentionEvery: 1_000_000,
    });
    const ids = Array.from({ length: 5 }, () => newId());
    for (const id of ids) await bounded.handleOnce('bounded', id, () => undefined);
    expect(await inboxRows('bounded')).toBe(5);
    await bounded.enforceRetention();
    expect(await inboxRows('bounded')).toBe(3);
    // The two oldest were forgotten: they count as new again; the newest is still a duplicate.
    expect((await bounded.handleOnce('bounded', ids[0]!, () => undefined)).status).toBe('handled');
    expect((await bounded.handleOnce('bounded', ids[4]!, () => undefined)).status).toBe('duplicate');
    await pool.query(
      `UPDATE "${schema}".inbox SET received_at = now() - interval '30 days' WHERE consumer = 'bounded'`,
    );
    const removed = await bounded.prune(new Date(Date.now() - 7 * 86_400_000));
    expect(removed).toBe(4);
    expect(await inboxRows('bounded')).toBe(0);
    await bounded.close();
  });

  it('the background retention run starts every retentionEvery handled messages', async () => {
    const auto = new PostgresInboxStore({ pool, schema, maxEntriesPerConsumer: 2, retentionEvery: 4 });
    for (let i = 0; i < 4; i++) await auto.handleOnce('auto', newId(), () => undefined);
    await until(
      async () => (await inboxRows('auto')) === 2,
      'the background run to trim consumer "auto" to 2',
    );
    await auto.close();
  });

  it('bad input is a typed error and nothing is written', async () => {
    await expect(inbox.handleOnce('', newId(), () => undefined)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(inbox.handleOnce('orders', '', () => undefined)).rejects.toThrow(/messageId/);
    expect(() => new PostgresInboxStore({ pool, schema, maxEntriesPerConsumer: 0 })).toThrow(
      /maxEntriesPerConsumer/,
    );
    await expect(inbox.prune(new Date('nope'))).rejects.toThrow(/valid Date/);
  });
});

/** A transport that records what it published and can be made to fail, to see what the relay marks sent. */
class RecordingTransport implements MessageTransport {
  readonly name = 'recording';
  readonly published: { topic: string; message: TransportMessage }[] = [];
  /** The publish with this 1-based call number is not confirmed (0: none). */
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

describeWithServer('postgres', 'PostgresOutboxStore', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let pool: Pool;
  let store: PostgresStreamStore;
  let outbox: PostgresOutboxStore;

  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
    pool = testPool(4);
    store = new PostgresStreamStore({ pool, schema, notifications: false });
    outbox = new PostgresOutboxStore({ pool, schema });
  });
  afterAll(async () => {
    await outbox.close();
    await store.close();
    await pool.end();
    await drop();
  });

  const event = () => ({ eventId: newId(), type: 'OrderPlaced', data: '{}', metadata: '{}' });
  const outboxCount = async () =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${schema}".outbox`)).rows[0].n);

  /** BEGIN; append to `stream`; enqueue `messages`; COMMIT or ROLLBACK. */
  async function decide(stream: string, messages: TransportMessage[], commit: boolean): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await store.appendInTransaction(client, stream, ExpectedVersion.Any, [event()]);
      await outbox.enqueue(
        client,
        messages.map((m) => ({ topic: 'warehouse.commands', message: m })),
      );
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  it('a rolled-back transaction leaves neither the event nor the outbox row', async () => {
    const stream = `order-${newId()}`;
    await decide(stream, [message()], false);
    expect(await store.readStream(stream)).toMatchObject({ status: 'not_found' });
    expect(await outboxCount()).toBe(0);
  });

  it('the relay publishes exactly what committed, in order, with every field, and marks it sent after the confirm', async () => {
    const committed = [
      message(newId(), {
        correlationId: 'c-1',
        causationId: 'k-1',
        tenant: 'acme',
        metadata: '{"a":1}',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        headers: { origin: 'orders' },
      }),
      message(),
    ];
    const stream = `order-${newId()}`;
    await decide(stream, committed, true);
    await decide(`order-${newId()}`, [message()], false);
    expect(await store.readStream(stream)).toMatchObject({ status: 'ok' });
    expect(await outboxCount()).toBe(2);

    const transport = new RecordingTransport();
    const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 20 });
    // The broker refuses the second publish: the first is marked sent, the second stays pending.
    transport.failCall = 2;
    await expect(relay.relayOnce()).rejects.toThrow('broker did not confirm');
    expect(transport.published.map((p) => p.message.messageId)).toEqual([committed[0]!.messageId]);
    const left = await outbox.pending(10);
    expect(left.map((e) => e.message.messageId)).toEqual([committed[1]!.messageId]);
    expect(await relay.relayOnce()).toBe(1);
    expect(transport.published.map((p) => p.message)).toEqual(committed);
    expect(transport.published.every((p) => p.topic === 'warehouse.commands')).toBe(true);
    expect(await outboxCount()).toBe(0);
    expect(await relay.relayOnce()).toBe(0);
  });

  it('a running relay delivers committed commands through a real transport to an inbox-guarded handler', async () => {
    const transport = new InMemoryTransport();
    const received: string[] = [];
    const subscription = await transport.subscribe(
      { group: 'warehouse', topics: ['warehouse.commands'] },
      (d) => {
        received.push(d.message.messageId);
      },
    );
    const relay = new OutboxRelay({ outbox, transport, pollIntervalMs: 20 });
    relay.start();
    const sent = [message(), message(), message()];
    await decide(`order-${newId()}`, sent, true);
    await until(() => received.length === 3, 'three relayed commands');
    await relay.stop();
    expect(received).toEqual(sent.map((m) => m.messageId));
    expect(await outboxCount()).toBe(0);
    await subscription.close();
    await transport.close();
  });

  it('an inbox effect can enqueue outbox messages in its transaction: a duplicate enqueues nothing more', async () => {
    const inbox = new PostgresInboxStore({ pool, schema });
    try {
      const incoming = newId();
      const reply = message();
      const handle = () =>
        inbox.handleOnce('warehouse', incoming, (tx) =>
          outbox.enqueue(tx, [{ topic: 'payments.commands', message: reply }]),
        );
      await expect(
        inbox.handleOnce('warehouse', incoming, async (tx) => {
          await outbox.enqueue(tx, [{ topic: 'payments.commands', message: reply }]);
          throw new Error('handler failed after enqueueing');
        }),
      ).rejects.toThrow('handler failed after enqueueing');
      expect(await outboxCount()).toBe(0);
      expect((await handle()).status).toBe('handled');
      expect((await handle()).status).toBe('duplicate');
      expect((await outbox.pending(10)).map((e) => e.message.messageId)).toEqual([reply.messageId]);
      await outbox.markSent((await outbox.pending(10)).map((e) => e.sequence));
    } finally {
      await inbox.close();
    }
  });

  it('an invalid entry is refused before anything is written', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await expect(
        outbox.enqueue(client, [
          { topic: 'warehouse.commands', message: message() },
          { topic: 'bad topic', message: message() },
        ]),
      ).rejects.toMatchObject({ code: expect.any(String) });
      await expect(
        outbox.enqueue(client, [{ topic: 'ok', message: { ...message(), messageId: '' } }]),
      ).rejects.toThrow(/messageId/);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await outboxCount()).toBe(0);
    await expect(outbox.pending(0)).rejects.toThrow(/positive integer/);
  });
});
