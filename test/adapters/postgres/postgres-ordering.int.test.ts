/**
 * The `$all` ordering guarantee under concurrent writers: a reader never delivers (and so never checkpoints past) an
 * event while an event that sorts before it is still uncommitted; a long-open transaction stalls readers, is
 * reported, and its events are delivered once it commits.
 */
import type { Pool, PoolClient } from 'pg';
import { newId } from '../../../src/core/id';
import {
  PostgresStreamStore,
  TransactionIdsBehindPositionsError,
  TransactionOrderConflictError,
  type PostgresStoreWarning,
} from '../../../src/adapters/postgres';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import type { EventData, RecordedEvent, StoreSubscription } from '../../../src/persistence/stream-store';
import { describeWithServer } from '../../support/servers';
import { freshSchema, testPool, until } from './pg-test-support';

const anEvent = (n: number): EventData => ({
  eventId: newId(),
  type: 'OrderingEvent',
  data: JSON.stringify({ n }),
  metadata: '{}',
});

describeWithServer('postgres', 'PostgresStreamStore: $all ordering under concurrent writers', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let pool: Pool;
  let store: PostgresStreamStore;
  const warnings: PostgresStoreWarning[] = [];
  const subscriptions: StoreSubscription[] = [];
  let prefix: string;

  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
    pool = testPool(6);
    store = new PostgresStreamStore({
      pool,
      schema,
      stallWarningMs: 300,
      horizonWaitMs: 50,
      pollIntervalMs: 200,
      onWarning: (warning) => void warnings.push(warning),
    });
  });
  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.close()));
    await store.close();
    await pool.end();
    await drop();
  });
  beforeEach(() => {
    prefix = `ord${newId().replace(/-/g, '').slice(-12)}`;
    warnings.length = 0;
  });

  /** Opens a transaction on its own connection. */
  async function begin(): Promise<{ client: PoolClient; pid: number }> {
    const client = await pool.connect();
    await client.query('BEGIN');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return { client, pid: rows[0]!.pid };
  }

  it('holds back a later commit while an earlier position is uncommitted, warns naming the open transaction, then delivers both in order', async () => {
    const delivered: RecordedEvent[] = [];
    subscriptions.push(
      store.subscribeToAll(
        { after: 'end', filter: { on: 'streamName', prefixes: [`${prefix}-`] } },
        { onEvent: (event) => void delivered.push(event) },
      ),
    );
    // Writer A takes its position first and keeps its transaction open.
    const a = await begin();
    const eventA = anEvent(1);
    const appendedA = await store.appendInTransaction(a.client, `${prefix}-a`, ExpectedVersion.NoStream, [
      eventA,
    ]);
    // Writer B appends after it and commits.
    const eventB = anEvent(2);
    const appendedB = await store.appendToStream(`${prefix}-b`, ExpectedVersion.NoStream, [eventB]);
    expect(appendedA.position < appendedB.position).toBe(true);
    try {
      // B is committed: its stream reads it at once...
      const streamB = await store.readStream(`${prefix}-b`);
      expect(streamB.status === 'ok' && streamB.events.map((e) => e.eventId)).toEqual([eventB.eventId]);
      // ...but $all holds it back: the subscriber reads, sees it beyond the horizon, and reports the stall.
      await until(() => warnings.some((w) => w.kind === 'read_stalled'), 'a read_stalled warning');
      const stall = warnings.find((w) => w.kind === 'read_stalled')!;
      expect(stall.kind === 'read_stalled' && stall.stalledForMs).toBeGreaterThanOrEqual(300);
      expect(stall.message).toMatch(/held back .* by an open transaction of pid \d+ \(open \d+ s/);
      expect(stall.kind === 'read_stalled' && typeof stall.blocking?.ageMs).toBe('number');
      expect(delivered).toEqual([]);
      const page = await store.readAll({ filter: { on: 'streamName', prefixes: [`${prefix}-`] } });
      expect(page.events).toEqual([]);
      await a.client.query('COMMIT');
    } finally {
      await a.client.query('ROLLBACK').catch(() => undefined); // no-op after COMMIT
      a.client.release();
    }
    // After A commits, A comes first, then B: nothing skipped, nothing doubled.
    await until(() => delivered.length >= 2, 'both events');
    expect(delivered.map((e) => e.eventId)).toEqual([eventA.eventId, eventB.eventId]);
    expect(delivered.map((e) => e.position)).toEqual([appendedA.position, appendedB.position]);
    const all = await store.readAll({ filter: { on: 'streamName', prefixes: [`${prefix}-`] } });
    expect(all.events.map((e) => e.eventId)).toEqual([eventA.eventId, eventB.eventId]);
  });

  it('a rolled-back transaction leaves a gap that readers pass once it ends; nothing of it is delivered', async () => {
    const delivered: string[] = [];
    subscriptions.push(
      store.subscribeToAll(
        { after: 'end', filter: { on: 'streamName', prefixes: [`${prefix}-`] } },
        { onEvent: (event) => void delivered.push(event.streamName) },
      ),
    );
    const a = await begin();
    try {
      await store.appendInTransaction(a.client, `${prefix}-rolled-back`, ExpectedVersion.Any, [
        anEvent(1),
        anEvent(2),
      ]);
      await store.appendToStream(`${prefix}-kept`, ExpectedVersion.Any, [anEvent(3)]);
      await a.client.query('ROLLBACK');
    } finally {
      a.client.release();
    }
    await until(() => delivered.length >= 1, 'the committed event');
    await store.appendToStream(`${prefix}-after`, ExpectedVersion.Any, [anEvent(4)]);
    await until(() => delivered.length >= 2, 'the barrier event');
    expect(delivered).toEqual([`${prefix}-kept`, `${prefix}-after`]);
  });

  it('appends in one transaction get consecutive positions and commit or vanish together', async () => {
    const a = await begin();
    let first: bigint;
    let second: bigint;
    try {
      first = (
        await store.appendInTransaction(a.client, `${prefix}-x`, ExpectedVersion.NoStream, [anEvent(1)])
      ).position;
      second = (
        await store.appendInTransaction(a.client, `${prefix}-y`, ExpectedVersion.NoStream, [
          anEvent(2),
          anEvent(3),
        ])
      ).position;
      await a.client.query('COMMIT');
    } finally {
      a.client.release();
    }
    expect(second).toBe(first + 2n);
    expect(first >> 20n).toBe(second >> 20n); // same transaction id
    const all = await store.readAll({ filter: { on: 'streamName', prefixes: [`${prefix}-`] } });
    expect(all.events.map((e) => [e.streamName, e.revision, e.position])).toEqual([
      [`${prefix}-x`, 0, first],
      [`${prefix}-y`, 0, first + 1n],
      [`${prefix}-y`, 1, first + 2n],
    ]);
  });

  it("keeps a stream's order in $all: a transaction older than the stream's last writer cannot append to it", async () => {
    await store.appendToStream(`${prefix}-s`, ExpectedVersion.NoStream, [anEvent(0)]);
    // Your transaction writes something first (it now holds a transaction id)...
    const old = await begin();
    try {
      await old.client.query(`CREATE TEMP TABLE t_${prefix} (x int) ON COMMIT DROP`);
      await old.client.query(`INSERT INTO t_${prefix} VALUES (1)`);
      await old.client.query('SELECT pg_current_xact_id()');
      // ...a younger transaction appends to the stream and commits...
      await store.appendToStream(`${prefix}-s`, 0, [anEvent(1)]);
      // ...so the old one's append would sort before revision 1 in $all: refused, nothing written.
      await expect(
        store.appendInTransaction(old.client, `${prefix}-s`, 1, [anEvent(2)]),
      ).rejects.toBeInstanceOf(TransactionOrderConflictError);
      await old.client.query('ROLLBACK');
    } finally {
      old.client.release();
    }
    const stream = await store.readStream(`${prefix}-s`);
    expect(stream.status === 'ok' && stream.events.map((e) => e.revision)).toEqual([0, 1]);
    // A new transaction appends fine, after revision 1 in $all too.
    await store.appendToStream(`${prefix}-s`, 1, [anEvent(3)]);
    const all = await store.readAll({ filter: { on: 'streamName', prefixes: [`${prefix}-s`] } });
    expect(all.events.map((e) => e.revision)).toEqual([0, 1, 2]);
  });

  it('refuses to append when stored positions are ahead of the cluster’s transaction ids (a restore into another cluster)', async () => {
    const { schema: restored, drop: dropRestored } = await freshSchema();
    const other = new PostgresStreamStore({ pool, schema: restored });
    try {
      // What a dump from a busier cluster looks like here: an event whose transaction id this cluster never reached.
      const { rows } = await pool.query<{ ahead: string }>(
        'SELECT ((pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000) << 20)::text AS ahead',
      );
      await pool.query(
        `INSERT INTO "${restored}".events (position, stream_name, revision, event_id, type, data, metadata) ` +
          "VALUES ($1, 'old-1', 0, gen_random_uuid(), 'Old', '{}', '{}')",
        [rows[0]!.ahead],
      );
      const error = await other
        .appendToStream(`${prefix}-new`, ExpectedVersion.Any, [anEvent(1)])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransactionIdsBehindPositionsError);
      expect(error).toMatchObject({
        code: 'TRANSACTION_IDS_BEHIND_POSITIONS',
        transactionId: BigInt(rows[0]!.ahead) >> 20n,
      });
      expect((await other.readStream(`${prefix}-new`)).status).toBe('not_found');
    } finally {
      await other.close();
      await dropRestored();
    }
  });

  it('many concurrent writers: a subscriber that checkpoints every event receives each exactly once, each stream in revision order', async () => {
    const writers = 6;
    const perWriter = 25;
    const delivered: RecordedEvent[] = [];
    subscriptions.push(
      store.subscribeToAll(
        { after: 'end', filter: { on: 'streamName', prefixes: [`${prefix}-`] } },
        { onEvent: (event) => void delivered.push(event) },
      ),
    );
    // Each writer appends to its own stream and to one shared stream, in small transactions of its own.
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          await store.appendToStream(`${prefix}-w${w}`, ExpectedVersion.Any, [anEvent(i)]);
          await store.appendToStream(`${prefix}-shared`, ExpectedVersion.Any, [anEvent(i)]);
        }
      }),
    );
    const total = writers * perWriter * 2;
    await until(() => delivered.length >= total, `${total} events`);
    expect(new Set(delivered.map((e) => e.eventId)).size).toBe(total);
    for (let i = 1; i < delivered.length; i++)
      expect(delivered[i - 1]!.position < delivered[i]!.position).toBe(true);
    const revisions = new Map<string, number>();
    for (const event of delivered) {
      expect(event.revision).toBe((revisions.get(event.streamName) ?? -1) + 1);
      revisions.set(event.streamName, event.revision);
    }
  });
});
