/**
 * A DurableReadModel on PostgreSQL: the model's table and its checkpoint change in one transaction, so each event's
 * effect happens exactly once — across a handler failure, a backend killed mid-batch, a restart and a rebuild.
 */
import type { Pool, PoolClient } from 'pg';
import type { ReactiveDomainError } from '../../../src/core/reactive-domain.error';
import { PostgresProjectionTransactions, PostgresStreamStore } from '../../../src/adapters/postgres';
import {
  DurableReadModel,
  type DurableEventContext,
  type DurableReadModelOptions,
} from '../../../src/foundation/read-models';
import { ListenerSources } from '../../../src/foundation/subscriptions/listener-source';
import { allCheckpoint } from '../../../src/foundation/subscriptions/checkpoint';
import {
  type Deposited,
  appendDeposits,
  registry,
  serializer,
  triangle,
} from '../../foundation/subscriptions/fixtures';
import { describeWithServer } from '../../support/servers';
import { freshSchema, testPool, until } from './pg-test-support';

/** Balances per account in PostgreSQL; every handled event also leaves its position (a primary key: no doubles). */
class PgBalances extends DurableReadModel<PoolClient> {
  static override eventTypes = registry;
  /** When set, the handler of the deposit with this amount waits for `release` (the test kills its backend). */
  holdOn: number | undefined;
  held: ((pid: number) => void) | undefined;
  failOn: number | undefined;

  constructor(
    private readonly schema: string,
    options: Omit<DurableReadModelOptions<PoolClient>, 'serializer' | 'source'>,
  ) {
    super('pg-balances', { serializer, source: ListenerSources.category('acct'), ...options });
  }

  protected async applyDeposited(
    event: Deposited,
    { tx, recorded }: DurableEventContext<PoolClient>,
  ): Promise<void> {
    if (event.amount === this.failOn) throw new RangeError(`bad amount ${event.amount}`);
    if (event.amount === this.holdOn && this.held) {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      this.held(rows[0]!.pid);
      await tx.query('SELECT pg_sleep(30)'); // killed before it ends
    }
    await tx.query(`INSERT INTO "${this.schema}".handled (position) VALUES ($1)`, [
      recorded.position.toString(),
    ]);
    await tx.query(
      `INSERT INTO "${this.schema}".balances VALUES ($1, $2) ` +
        `ON CONFLICT (account_id) DO UPDATE SET balance = balances.balance + EXCLUDED.balance`,
      [event.accountId, event.amount],
    );
  }

  protected override async reset(tx: PoolClient): Promise<void> {
    await tx.query(`TRUNCATE "${this.schema}".handled, "${this.schema}".balances`);
  }
}

describeWithServer('postgres', 'DurableReadModel on PostgreSQL (PostgresProjectionTransactions)', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let pool: Pool;
  let admin: Pool;
  let store: PostgresStreamStore;
  let transactions: PostgresProjectionTransactions;
  const models: PgBalances[] = [];
  const errors: ReactiveDomainError[] = [];

  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
    pool = testPool(6);
    admin = testPool(1);
    store = new PostgresStreamStore({ pool, schema, horizonWaitMs: 15_000 });
    transactions = new PostgresProjectionTransactions({ pool, schema });
    await pool.query(
      `CREATE TABLE "${schema}".handled (position bigint PRIMARY KEY); ` +
        `CREATE TABLE "${schema}".balances (account_id text PRIMARY KEY, balance bigint NOT NULL)`,
    );
    await appendDeposits(store, 'acct-1', 40, 7);
    await appendDeposits(store, 'acct-2', 30, 30);
  });
  afterAll(async () => {
    for (const model of models) await model.stop().catch(() => undefined);
    await store.close();
    await transactions.close();
    await pool.end();
    await admin.end();
    await drop();
  });

  const model = (batchSize = 8): PgBalances => {
    const created = new PgBalances(schema, {
      store,
      transactions,
      batchSize,
      batchDelayMs: 5,
      onError: (error) => void errors.push(error),
    });
    models.push(created);
    return created;
  };
  const state = async () => {
    const balances = await pool.query<{ account_id: string; balance: string }>(
      `SELECT account_id, balance::text AS balance FROM "${schema}".balances ORDER BY account_id`,
    );
    const handled = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".handled`);
    return {
      balances: balances.rows.map((r) => [r.account_id, Number(r.balance)]),
      handled: handled.rows[0]!.n,
    };
  };
  const expected = {
    balances: [
      ['acct-1', triangle(40)],
      ['acct-2', triangle(30)],
    ],
    handled: 70,
  };
  const storedCheckpoint = () =>
    transactions.transaction((tx) => transactions.loadCheckpoint(tx, 'pg-balances'));

  it('a handler error rolls its batch back; the next instance resumes from the stored checkpoint: each event once', async () => {
    const first = model();
    first.failOn = 20; // acct-1's 20th deposit: mid-way through the third batch
    await first.start();
    await expect(first.whenLive()).rejects.toThrow(/bad amount 20/);
    const partial = await state();
    expect(partial.handled % 8).toBe(0); // whole batches only
    expect(partial.handled).toBeLessThan(20);
    const checkpoint = await storedCheckpoint();
    expect(checkpoint?.kind).toBe('all');
    await first.stop();

    const second = model();
    await second.start();
    await second.whenLive();
    expect(await state()).toEqual(expected);
    const last = (await store.readAll({ direction: 'backwards', maxCount: 1 })).events[0]!;
    expect(await storedCheckpoint()).toEqual(allCheckpoint(last.position));
    await second.stop();
  });

  it('killing the backend mid-batch loses the batch and nothing else; a restart applies it exactly once', async () => {
    const rebuilt = model();
    await rebuilt.start();
    await rebuilt.whenLive();
    const progress = await rebuilt.rebuild(); // truncate + checkpoint delete in one transaction, then replay
    expect(progress.handled).toBe(70);
    expect(await state()).toEqual(expected);
    await rebuilt.stop();
    await pool.query(`TRUNCATE "${schema}".handled, "${schema}".balances`);
    await transactions.transaction((tx) => transactions.deleteCheckpoint(tx, 'pg-balances'));

    const victim = model(10);
    let pid: number | undefined;
    victim.holdOn = 25;
    victim.held = (backend) => void (pid = backend);
    await victim.start();
    await until(() => pid !== undefined, 'the handler holding its transaction');
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await expect(victim.whenLive()).rejects.toBeDefined();
    const partial = await state();
    expect(partial.handled % 10).toBe(0);
    expect(partial.handled).toBeLessThan(25);
    await victim.stop();

    const restarted = model(10);
    await restarted.start();
    await restarted.whenLive();
    expect(await state()).toEqual(expected);
    await restarted.stop();
  });
});
