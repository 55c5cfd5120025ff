/**
 * Workload pg-read-model-catch-up — a durable read model in PostgreSQL catching up on 100,000 events from PostgreSQL:
 * balances per account in a table, written with the checkpoint in the same transaction, 500 events per transaction,
 * from the first event until caught up (events/s). Every contender does the same work per batch (one multi-row upsert
 * of the batch's balance changes plus the checkpoint, in one transaction), so the figures compare the reading and the
 * transaction plumbing.
 */
import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { postgreSQLEventStoreConsumer, postgreSQLProjection, getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { PostgresCheckpointStore, PostgresStreamStore, migrate } from '../../dist/adapters/postgres';
import { assert, emit, runCase, scaled, type Contender } from '../lib/harness';
import { scratchDatabase, serverSettings } from '../lib/postgres';

const EVENTS = scaled(100_000, 10_000);
const STREAMS = 1_000;
const PER_STREAM = EVENTS / STREAMS; // one AccountOpened, then deposits of 1, 2, 3, ...
const BATCH = 500;
const EXPECTED_TOTAL = STREAMS * (((PER_STREAM - 1) * PER_STREAM) / 2);

type Account = { type: string; accountId: string; amount?: number };

/** The batch's effect: balance changes per account (opened accounts start at 0). */
class Deltas {
  private readonly byAccount = new Map<string, number>();
  count = 0;
  add(event: Account): void {
    this.byAccount.set(event.accountId, (this.byAccount.get(event.accountId) ?? 0) + (event.amount ?? 0));
    this.count++;
  }
  /** One upsert of the batch plus the checkpoint, on `client` inside the caller's transaction. */
  async write(client: Pick<PoolClient, 'query'>, table: string): Promise<void> {
    await client.query(
      `INSERT INTO ${table} (account_id, balance) SELECT * FROM unnest($1::text[], $2::bigint[]) ` +
        `ON CONFLICT (account_id) DO UPDATE SET balance = ${table}.balance + EXCLUDED.balance`,
      [[...this.byAccount.keys()], [...this.byAccount.values()]],
    );
    this.byAccount.clear();
    this.count = 0;
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
    const checkpoints = new PostgresCheckpointStore({ pool });
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
        events.map((e) => ({ eventId: randomUUID(), type: e.type, data: JSON.stringify(e), metadata: '{}' })),
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
        name: 'reactive-domain subscribeToAll + PostgreSQL transactions',
        role: 'us',
        note: 'PostgresStreamStore.subscribeToAll from the start (account- prefix); every 500 events one transaction: upsert + PostgresCheckpointStore.saveInTransaction; timed until caught up',
        beforeEach: rebuild('ours_balances'),
        fn: async () => {
          const model = `balances-${++iteration}`;
          const deltas = new Deltas();
          let last = 0n;
          const flush = async (): Promise<void> => {
            if (deltas.count === 0) return;
            const client = await pool.connect();
            try {
              await client.query('BEGIN');
              await deltas.write(client, 'ours_balances');
              await checkpoints.saveInTransaction(client, model, '$all', { kind: 'all', position: last });
              await client.query('COMMIT');
            } finally {
              client.release();
            }
          };
          await new Promise<void>((resolve, reject) => {
            const subscription = store.subscribeToAll(
              { after: 'start', filter: { on: 'streamName', prefixes: ['account-'] } },
              {
                onEvent: (event) => {
                  deltas.add(JSON.parse(event.data) as Account);
                  last = event.position;
                  return deltas.count >= BATCH ? flush() : undefined;
                },
                onLive: () => void flush().then(() => subscription.close()).then(resolve, reject),
                onDropped: reject,
              },
            );
          });
        },
        check: checkTotal('ours_balances'),
      },
      {
        name: 'Emmett PostgreSQL projector',
        role: 'peer',
        note: 'postgreSQLEventStoreConsumer (batchSize 500, stopWhen noMessagesLeft) with a postgreSQLProjection whose handle does the same upsert on the transaction\'s client; Emmett stores the checkpoint in that transaction',
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
                const deltas = new Deltas();
                for (const e of events) deltas.add(e.data as Account);
                await deltas.write(context.connection.client as unknown as PoolClient, 'emmett_balances');
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
        note: 'SELECT 500 events after the checkpoint ORDER BY position (no horizon), JSON.parse, then BEGIN; upsert; checkpoint; COMMIT',
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
              const deltas = new Deltas();
              for (const row of rows) deltas.add(JSON.parse(row.data) as Account);
              after = rows[rows.length - 1]!.position;
              await client.query('BEGIN');
              await deltas.write(client, 'floor_balances');
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
          us: 'reactive-domain subscribeToAll + PostgreSQL transactions',
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
        "Emmett 0.42's projector calls the projection's handle with one event at a time, each in its own transaction with its checkpoint (batchSize only sizes its reads); ours and the floor write 500 events per transaction. That is the behaviour each library gives its users, not the same batching.",
        `Server: ${settings}. ${STREAMS.toLocaleString('en')} account streams of ${PER_STREAM} events; the reading schema is ours for us and the floor, Emmett's for Emmett (same database).`,
      ],
    });
    await store.close();
    await checkpoints.close();
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
