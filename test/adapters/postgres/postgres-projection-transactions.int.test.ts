/** PostgresProjectionTransactions on the real server: the port durable read models write through. */
import type { Pool } from 'pg';
import { PostgresProjectionTransactions } from '../../../src/adapters/postgres';
import { allCheckpoint } from '../../../src/foundation/subscriptions/checkpoint';
import { describeWithServer } from '../../support/servers';
import { freshSchema, testPool } from './pg-test-support';

describeWithServer('postgres', 'PostgresProjectionTransactions', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let pool: Pool;
  let transactions: PostgresProjectionTransactions;

  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
    pool = testPool(4);
    transactions = new PostgresProjectionTransactions({ pool, schema });
    await pool.query(`CREATE TABLE "${schema}".totals (id text PRIMARY KEY, n int NOT NULL)`);
  });
  afterAll(async () => {
    await transactions.close();
    await pool.end();
    await drop();
  });

  const totals = async () =>
    (await pool.query<{ id: string; n: number }>(`SELECT id, n FROM "${schema}".totals ORDER BY id`)).rows;

  it('the model’s rows and its checkpoint commit together, or roll back together', async () => {
    await transactions.transaction(async (tx) => {
      expect(await transactions.loadCheckpoint(tx, 'totals')).toBeUndefined();
      await tx.query(`INSERT INTO "${schema}".totals VALUES ('a', 1)`);
      await transactions.saveCheckpoint(tx, 'totals', allCheckpoint(100n));
    });
    const failure = new Error('handler failed');
    await expect(
      transactions.transaction(async (tx) => {
        await tx.query(`UPDATE "${schema}".totals SET n = n + 1`);
        await transactions.saveCheckpoint(tx, 'totals', allCheckpoint(200n));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await totals()).toEqual([{ id: 'a', n: 1 }]);
    const stored = await transactions.transaction((tx) => transactions.loadCheckpoint(tx, 'totals'));
    expect(stored).toEqual({ kind: 'all', position: 100n });
  });

  it('rebuild: truncating the tables and deleting the checkpoint happen in one transaction', async () => {
    await transactions.transaction(async (tx) => {
      await tx.query(`TRUNCATE "${schema}".totals`);
      await transactions.deleteCheckpoint(tx, 'totals');
    });
    expect(await totals()).toEqual([]);
    expect(await transactions.transaction((tx) => transactions.loadCheckpoint(tx, 'totals'))).toBeUndefined();
  });

  it('a handler error rolls back and keeps the connection (no reconnect per failed batch)', async () => {
    const single = testPool(1);
    const own = new PostgresProjectionTransactions({ pool: single, schema });
    try {
      const pidOf = (tx: { query: Pool['query'] }) =>
        tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').then((r) => r.rows[0]!.pid);
      const before = await own.transaction((tx) => pidOf(tx));
      await expect(
        own.transaction(async (tx) => {
          await tx.query(`INSERT INTO "${schema}".totals VALUES ('rolled-back', 1)`);
          throw new RangeError('handler failed');
        }),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await own.transaction((tx) => pidOf(tx))).toBe(before);
      expect((await totals()).some((row) => row.id === 'rolled-back')).toBe(false);
    } finally {
      await own.close();
      await single.end();
    }
  });

  it('two writers of one model serialise on its name: the second sees the first one’s checkpoint', async () => {
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLoaded!: () => void;
    const loaded = new Promise<void>((resolve) => (firstLoaded = resolve));
    const first = transactions.transaction(async (tx) => {
      await transactions.loadCheckpoint(tx, 'serial');
      firstLoaded();
      await firstHolds;
      await transactions.saveCheckpoint(tx, 'serial', allCheckpoint(7n));
    });
    await loaded;
    const second = transactions.transaction((tx) => transactions.loadCheckpoint(tx, 'serial'));
    const early = await Promise.race([
      second.then(() => 'second finished'),
      new Promise((r) => setTimeout(r, 200, 'waiting')),
    ]);
    expect(early).toBe('waiting');
    releaseFirst();
    await first;
    expect(await second).toEqual({ kind: 'all', position: 7n });
  });
});
