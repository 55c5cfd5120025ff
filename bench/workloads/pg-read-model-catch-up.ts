/**
 * Workload pg-read-model-catch-up — a durable read model in PostgreSQL catching up on 100,000 events from PostgreSQL:
 * balances per account in a table, each event one upsert statement (the handler a user writes), the checkpoint in the
 * same transaction, from the first event until caught up (events/s). Ours is a DurableReadModel over
 * PostgresProjectionTransactions (500 events per transaction); Emmett's PostgreSQL projector; a raw pg floor.
 */
import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { postgreSQLEventStoreConsumer, postgreSQLProjection, getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { PostgresProjectionTransactions, PostgresStreamStore, migrate } from '../../dist/adapters/postgres';
import { DurableReadModel, ListenerSources, type DurableEventContext, type DurableReadModelOptions } from '../../dist/foundation';
import { AccountOpened, Deposited, registry, serializer } from '../lib/ours';
import { assert, emit, runCase, scaled, type Contender } from '../lib/harness';
import { scratchDatabase, serverSettings } from '../lib/postgres';

const EVENTS = scaled(100_000, 10_000);
const STREAMS = 1_000;
const PER_STREAM = EVENTS / STREAMS; // one AccountOpened, then deposits of 1, 2, 3, ...
const BATCH = 500;
const EXPECTED_TOTAL = STREAMS * (((PER_STREAM - 1) * PER_STREAM) / 2);

type Account = { type: string; accountId: string; amount?: number };

/** The handler's one statement per event: add the amount to the account's balance (opened: 0). */
function upsert(client: Pick<PoolClient, 'query'>, table: string, accountId: string, amount: number): Promise<unknown> {
  return client.query({
    name: `upsert-${table}`,
    text: `INSERT INTO ${table} (account_id, balance) VALUES ($1, $2) ON CONFLICT (account_id) DO UPDATE SET balance = ${table}.balance + EXCLUDED.balance`,
    values: [accountId, amount],
  });
}

/** Our read model as a user writes it: convention handlers, each writing through the batch's transaction. */
class PgBalances extends DurableReadModel<PoolClient> {
  static override eventTypes = registry;
  constructor(name: string, options: DurableReadModelOptions<PoolClient>) {
    super(name, options);
  }
  protected async applyAccountOpened(e: AccountOpened, { tx }: DurableEventContext<PoolClient>): Promise<void> {
    await upsert(tx, 'ours_balances', e.accountId, 0);
  }
  protected async applyDeposited(e: Deposited, { tx }: DurableEventContext<PoolClient>): Promise<void> {
    await upsert(tx, 'ours_balances', e.accountId, e.amount);
  }
}

async function main(): Promise<void> {
  const db = await scratchDatabase();
  try {
    const settings = await serverSettings(db.url);
    await migrate({ connectionString: db.url });
    const pool = new Pool({ connectionString: db.url, max: 10 });
    pool.on('error', () => undefined);
    const store = new PostgresStreamStore({ pool });
    const transactions = new PostgresProjectionTransactions({ pool });
    const emmett = getPostgreSQLEventStore(db.url);
    for (const table of ['ours_balances', 'emmett_balances', 'floor_balances'])
      await pool.query(`CREATE TABLE ${table} (account_id text PRIMARY KEY, balance bigint NOT NULL)`);
    await pool.query('CREATE TABLE floor_checkpoints (name text PRIMARY KEY, position bigint NOT NULL)');

    // Seed: the same 1,000 account streams in both stores.
    for (let s = 0; s < STREAMS; s++) {
      const accountId = randomUUID();
      const events: Account[] = [{ type: 'AccountOpened', accountId }];
      for (let n = 1; n < PER_STREAM; n++) events.push({ type: 'Deposited', accountId, amount: n });
      await store.appendToStream(
        `account-${accountId}`,
        'no_stream',
        events.map((e) =>
          serializer.serialize(e.type === 'AccountOpened' ? new AccountOpened(accountId) : new Deposited(accountId, e.amount!)),
        ),
      );
      await emmett.appendToStream(
        `account-${accountId}`,
        events.map((e) => ({ type: e.type, data: e })),
      );
    }

    const totalOf = async (table: string): Promise<number> =>
      Number((await pool.query<{ total: string }>(`SELECT coalesce(sum(balance), 0)::text AS total FROM ${table}`)).rows[0]!.total);
    const rebuild = (table: string) => async () => {
      await pool.query(`TRUNCATE ${table}`);
      await pool.query('TRUNCATE floor_checkpoints');
    };
    const checkTotal = (table: string) => async () => {
      const total = await totalOf(table);
      assert(total === EXPECTED_TOTAL, `${table}: total ${total}, expected ${EXPECTED_TOTAL}`);
    };

    let iteration = 0;
    const contenders: Contender[] = [
      {
        name: 'reactive-domain DurableReadModel (PostgreSQL)',
        role: 'us',
        note: 'DurableReadModel<PoolClient> on the account category over PostgresProjectionTransactions: 500 events per transaction, each handler one upsert on context.tx, the checkpoint read back and saved in the same transaction; timed until whenLive()',
        beforeEach: rebuild('ours_balances'),
        fn: async () => {
          const model = new PgBalances(`balances-${++iteration}`, {
            store,
            serializer,
            transactions,
            source: ListenerSources.category('account'),
            batchSize: BATCH,
          });
          await model.start();
          await model.whenLive();
          await model.stop();
        },
        check: checkTotal('ours_balances'),
      },
      {
        name: 'Emmett PostgreSQL projector',
        role: 'peer',
        note: "postgreSQLEventStoreConsumer (batchSize 500, stopWhen noMessagesLeft) with a postgreSQLProjection whose handle does the same upsert per event on the transaction's client; Emmett stores the checkpoint in that transaction",
        beforeEach: rebuild('emmett_balances'),
        fn: async () => {
          const consumer = postgreSQLEventStoreConsumer({
            connectionString: db.url,
            stopWhen: { noMessagesLeft: true },
            pulling: { batchSize: BATCH },
          });
          consumer.projector({
            processorId: `balances-${++iteration}`,
            startFrom: 'BEGINNING',
            projection: postgreSQLProjection<{ type: string; data: Account }>({
              name: `balances-${iteration}`,
              canHandle: ['AccountOpened', 'Deposited'],
              handle: async (events, context) => {
                const client = context.connection.client as unknown as PoolClient;
                for (const e of events) await upsert(client, 'emmett_balances', e.data.accountId, e.data.amount ?? 0);
              },
            }),
          });
          await consumer.start();
          await consumer.close();
        },
        check: checkTotal('emmett_balances'),
      },
      {
        name: 'floor: raw pg pages + one transaction per page',
        role: 'floor',
        note: 'SELECT 500 events after the checkpoint ORDER BY position (no horizon), then BEGIN; per event JSON.parse + upsert; checkpoint; COMMIT',
        beforeEach: rebuild('floor_balances'),
        fn: async () => {
          let after = '-1';
          const client = await pool.connect();
          try {
            for (;;) {
              const { rows } = await client.query<{ position: string; data: string }>(
                'SELECT position::text AS position, data FROM reactive_domain.events WHERE position > $1 AND starts_with(stream_name, $2) ORDER BY position LIMIT $3',
                [after, 'account-', BATCH],
              );
              if (rows.length === 0) break;
              after = rows[rows.length - 1]!.position;
              await client.query('BEGIN');
              for (const row of rows) {
                const e = JSON.parse(row.data) as { accountId: string; amount?: number };
                await upsert(client, 'floor_balances', e.accountId, e.amount ?? 0);
              }
              await client.query(
                'INSERT INTO floor_checkpoints VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position',
                ['floor', after],
              );
              await client.query('COMMIT');
              if (rows.length < BATCH) break;
            }
          } finally {
            client.release();
          }
        },
        check: checkTotal('floor_balances'),
      },
    ];
    const result = await runCase({
      id: 'pg-read-model-catch-up',
      title: `PostgreSQL read-model catch-up: ${EVENTS.toLocaleString('en')} events into a PostgreSQL table`,
      unit: 'events',
      units: EVENTS,
      contenders,
      comparisons: [
        {
          us: 'reactive-domain DurableReadModel (PostgreSQL)',
          peers: ['Emmett PostgreSQL projector'],
          floor: 'floor: raw pg pages + one transaction per page',
        },
      ],
      // Emmett's projector runs one transaction per event (its projector calls handle([event]) per message), so one
      // iteration of 100,000 events takes minutes: one timed iteration each, no warm-up (the seed warmed the caches).
      iterations: 1,
      rounds: 1,
      timeMs: 0,
      warmupIterations: 0,
      notes: [
        "Emmett 0.42's projector calls the projection's handle with one event at a time, each in its own transaction with its checkpoint (batchSize only sizes its reads); ours (DurableReadModel batchSize 500) and the floor write 500 events per transaction. Every contender runs one upsert statement per event. That is the behaviour each library gives its users, not the same batching.",
        `Server: ${settings}. ${STREAMS.toLocaleString('en')} account streams of ${PER_STREAM} events; the reading schema is ours for us and the floor, Emmett's for Emmett (same database).`,
      ],
    });
    await store.close();
    await transactions.close();
    await emmett.close();
    await pool.end();
    emit('pg-read-model-catch-up', [result]);
  } catch (error) {
    console.error(error);
    process.exit(1);
  } finally {
    // Connections of pools that were not ended (after a failure) are terminated by the drop: ignore their errors.
    process.on('uncaughtException', () => undefined);
    await db.drop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
