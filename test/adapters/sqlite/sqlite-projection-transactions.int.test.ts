/**
 * A read model in SQLite with its checkpoint in the same transaction: killed with SIGKILL between (and inside)
 * events, restarted, it ends with every event's effect exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SqliteDatabase,
  SqliteProjectionTransactions,
  SqliteStreamStore,
} from '../../../src/adapters/sqlite';
import { newId } from '../../../src/core/id';
import { InvalidArgumentError } from '../../../src/core/reactive-domain.error';
import { allCheckpoint } from '../../../src/foundation/subscriptions/checkpoint';
import { FixtureProcess } from './fixtures/child-process';
import { Deposited, serializer } from './fixtures/deposits';

const EVENTS = 120;
const deposit = (amount: number) => ({
  eventId: newId(),
  type: 'Deposited',
  data: JSON.stringify({ amount }),
  metadata: '{}',
});

/**
 * Runs the fixture `script` on `file` again and again, each time SIGKILLing it at a random moment after a random
 * number (`minTarget` + up to `spread`) of `progress` lines, until a run prints `done` and exits cleanly. Resolves
 * with the number of kills.
 */
async function killUntilDone(
  script: string,
  file: string,
  {
    progress,
    done,
    minTarget,
    spread,
  }: { progress: string; done: string; minTarget: number; spread: number },
): Promise<number> {
  let kills = 0;
  for (;;) {
    const projector = new FixtureProcess(script, [file]);
    const target = minTarget + Math.floor(Math.random() * spread);
    await projector.waitFor(
      (lines) => lines.includes(done) || lines.filter((l) => l === progress).length >= target,
      `${target} ${progress} lines or ${done}`,
    );
    if (projector.lines.includes(done)) {
      expect((await projector.exited).code).toBe(0);
      return kills;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    projector.kill();
    await projector.exited;
    kills++;
  }
}

describe('SqliteProjectionTransactions', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-projection-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('state and checkpoint commit together: SIGKILL mid-projection never doubles or loses an effect', async () => {
    const file = join(dir, 'projection.sqlite');
    const store = SqliteStreamStore.open(file);
    let expectedTotal = 0;
    for (let i = 1; i <= EVENTS; i++) {
      await store.appendToStream(`account-${i % 7}`, 'any', [deposit(i)]);
      expectedTotal += i;
    }
    await store.close();

    const kills = await killUntilDone('projector.ts', file, {
      progress: 'applied',
      done: 'caught-up',
      minTarget: 5,
      spread: 25,
    });
    expect(kills).toBeGreaterThanOrEqual(2);

    const database = SqliteDatabase.open(file);
    try {
      const balance = database.connection.prepare('SELECT total, count FROM balance').get();
      expect(balance).toEqual({ total: expectedTotal, count: EVENTS });
      const transactions = new SqliteProjectionTransactions(database);
      const last = await new SqliteStreamStore({ database }).readAll({ direction: 'backwards', maxCount: 1 });
      const checkpoint = await transactions.transaction((tx) => transactions.loadCheckpoint(tx, 'balance'));
      expect(checkpoint).toEqual(allCheckpoint(last.events[0]!.position));
    } finally {
      database.close();
    }
  }, 180_000);

  it('a DurableReadModel on SQLite, killed at random moments and restarted, applies every event exactly once', async () => {
    const file = join(dir, 'durable.sqlite');
    const store = SqliteStreamStore.open(file);
    const expected = new Map<string, { total: number; deposits: number }>();
    for (let i = 1; i <= EVENTS; i++) {
      const account = `account-${i % 5}`;
      await store.appendToStream(account, 'any', [serializer.serialize(new Deposited(account, i))]);
      const entry = expected.get(account) ?? { total: 0, deposits: 0 };
      expected.set(account, { total: entry.total + i, deposits: entry.deposits + 1 });
    }
    await store.close();

    const kills = await killUntilDone('durable-projector.ts', file, {
      progress: 'handled',
      done: 'live',
      minTarget: 4,
      spread: 30,
    });
    expect(kills).toBeGreaterThanOrEqual(2);

    const database = SqliteDatabase.open(file);
    try {
      const rows = database.connection
        .prepare<[], { account: string; total: number; deposits: number }>(
          'SELECT account, total, deposits FROM balances ORDER BY account',
        )
        .all();
      expect(rows).toEqual(
        [...expected.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([account, v]) => ({ account, ...v })),
      );
    } finally {
      database.close();
    }
  }, 180_000);

  it('rolls back state and checkpoint together; appends wait for an open transaction instead of joining it', async () => {
    const database = SqliteDatabase.open(':memory:');
    const store = new SqliteStreamStore({ database });
    const transactions = new SqliteProjectionTransactions(database);
    database.connection.exec('CREATE TABLE seen (n INTEGER)');
    let append: Promise<unknown> | undefined;
    await expect(
      transactions.transaction(async (tx) => {
        tx.prepare('INSERT INTO seen VALUES (1)').run();
        await transactions.saveCheckpoint(tx, 'm', allCheckpoint(5n));
        // An append started meanwhile must not become part of this (failing) transaction.
        append = store.appendToStream('s-1', 'no_stream', [deposit(1)]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    await append;
    expect(database.connection.prepare('SELECT count(*) AS n FROM seen').get()).toEqual({ n: 0 });
    expect(await transactions.transaction((tx) => transactions.loadCheckpoint(tx, 'm'))).toBeUndefined();
    const stream = await store.readStream('s-1');
    expect(stream.status === 'ok' && stream.lastRevision).toBe(0);
    // A checkpoint written outside the model's transaction is refused.
    await expect(transactions.saveCheckpoint(database.connection, 'm', allCheckpoint(1n))).rejects.toThrow(
      InvalidArgumentError,
    );
    await store.close();
    database.close();
  });
});
