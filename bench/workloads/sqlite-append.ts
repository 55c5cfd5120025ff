/**
 * Workload — sqlite-append: 1,000 streams x 10 single-event appends (10,000 appends, each its own transaction, each
 * with a concurrency check), into a fresh SQLite file in WAL mode, at synchronous=FULL (the default: every commit
 * fsynced) and at synchronous=NORMAL (fsync at WAL checkpoints only).
 *
 * - reactive-domain: `SqliteStreamStore.appendToStream(stream, exactExpectedVersion, [event])`.
 * - peer: Emmett's SQLite event store (`@event-driven-io/emmett-sqlite`, on node-sqlite3), given one shared
 *   connection (its default opens and closes a connection per call on a file), `expectedStreamVersion` checked.
 *   It is NOT in bench/package.json: 0.42.4 (the only 0.42) pins a peer `@event-driven-io/emmett@0.42.4` that was
 *   never published, so npm refuses it next to bench's Emmett 0.42.0. Install it by hand to include it
 *   (`npm --prefix bench install --no-save --legacy-peer-deps @event-driven-io/emmett-sqlite@0.42.4 sqlite3@5.1.7
 *   uuid@10.0.0 commander@12.1.0 async-retry@1.3.3`); without it the case runs ours against the floor only.
 * - floor: raw better-sqlite3 (the same driver build as ours), one prepared INSERT per append in a
 *   `BEGIN IMMEDIATE` transaction, the UNIQUE(stream, revision) index as the concurrency check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteStreamStore, loadBetterSqlite3, type SqliteSynchronous } from '../../dist/adapters/sqlite';
import { assert, emit, runCase, scaled, type Contender } from '../lib/harness';

/** The part of `@event-driven-io/emmett-sqlite` used here (typed locally: the package is optional, see above). */
interface SQLiteConnection {
  command(sql: string): Promise<unknown>;
  querySingle<T>(sql: string): Promise<T | null>;
  close(): void;
}
interface SQLiteEventStore {
  appendToStream(stream: string, events: unknown[], options: { expectedStreamVersion: bigint | string }): Promise<unknown>;
  readStream(stream: string): Promise<{ events: unknown[] }>;
  schema: { migrate(): Promise<void> };
}
interface EmmettSqlite {
  sqliteConnection(options: { fileName: string }): SQLiteConnection;
  getSQLiteEventStore(options: unknown): SQLiteEventStore;
}
const emmettSqlite: EmmettSqlite | undefined = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@event-driven-io/emmett-sqlite') as EmmettSqlite;
  } catch {
    return undefined;
  }
})();

const STREAMS = scaled(1_000, 100);
const APPENDS_PER_STREAM = 10;
const APPENDS = STREAMS * APPENDS_PER_STREAM;

const dir = mkdtempSync(join(tmpdir(), 'rd-bench-sqlite-'));
let fileCounter = 0;
const freshFile = (): string => join(dir, `bench-${++fileCounter}.sqlite`);
const removeFile = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
};

const streamName = (i: number): string => `account-${i}`;
const payload = (i: number, j: number): string => JSON.stringify({ accountId: streamName(i), amount: j + 1 });
const metadata = JSON.stringify({ $correlationId: randomUUID(), $causationId: randomUUID() });

function contendersAt(synchronous: SqliteSynchronous): Contender[] {
  const label = synchronous;
  // ---- reactive-domain ----
  let ours: SqliteStreamStore | undefined;
  let oursFile = '';
  const oursName = `reactive-domain SqliteStreamStore (${label})`;
  // ---- Emmett ----
  let emmett: SQLiteEventStore | undefined;
  let emmettConnection: SQLiteConnection | undefined;
  let emmettFile = '';
  // ---- floor ----
  const Database = loadBetterSqlite3();
  let floorDb: InstanceType<typeof Database> | undefined;
  let floorFile = '';
  let floorAppend: ((stream: string, revision: number, data: string) => void) | undefined;

  return [
    {
      name: oursName,
      role: 'us',
      note: 'appendToStream with the exact expected version, one event per call',
      beforeEach: async () => {
        await ours?.close();
        if (oursFile) removeFile(oursFile);
        oursFile = freshFile();
        ours = SqliteStreamStore.open(oursFile, { synchronous });
      },
      fn: async () => {
        const store = ours!;
        for (let j = 0; j < APPENDS_PER_STREAM; j++) {
          for (let i = 0; i < STREAMS; i++) {
            await store.appendToStream(streamName(i), j === 0 ? 'no_stream' : j - 1, [
              { eventId: randomUUID(), type: 'Deposited', data: payload(i, j), metadata },
            ]);
          }
        }
      },
      check: async () => {
        const all = await ours!.readAll({ maxCount: APPENDS + 1 });
        assert(all.events.length === APPENDS, `${oursName}: ${all.events.length} events, expected ${APPENDS}`);
        const last = await ours!.readStream(streamName(STREAMS - 1), { direction: 'backwards', maxCount: 1 });
        assert(last.status === 'ok' && last.lastRevision === APPENDS_PER_STREAM - 1, `${oursName}: last revision`);
      },
      afterAll: async () => {
        await ours?.close();
        ours = undefined;
        removeFile(oursFile);
      },
    },
    {
      name: `Emmett SQLite event store (${label})`,
      role: 'peer',
      note: 'appendToStream with expectedStreamVersion, one event per call, one shared connection',
      beforeEach: async () => {
        emmettConnection?.close();
        if (emmettFile) removeFile(emmettFile);
        emmettFile = freshFile();
        emmettConnection = emmettSqlite!.sqliteConnection({ fileName: emmettFile });
        await emmettConnection.command(`PRAGMA synchronous = ${synchronous}`);
        emmett = emmettSqlite!.getSQLiteEventStore({ fileName: emmettFile, connectionOptions: { connection: emmettConnection, singleton: true } });
        await emmett.schema.migrate();
      },
      fn: async () => {
        const store = emmett!;
        for (let j = 0; j < APPENDS_PER_STREAM; j++) {
          for (let i = 0; i < STREAMS; i++) {
            await store.appendToStream(
              streamName(i),
              [{ type: 'Deposited', data: { accountId: streamName(i), amount: j + 1 }, metadata: { correlationId: randomUUID() } }],
              { expectedStreamVersion: j === 0 ? 'STREAM_DOES_NOT_EXIST' : BigInt(j) },
            );
          }
        }
      },
      check: async () => {
        const read = await emmett!.readStream(streamName(STREAMS - 1));
        assert(read.events.length === APPENDS_PER_STREAM, `Emmett: ${read.events.length} events in the last stream`);
        const rows = await emmettConnection!.querySingle<{ n: number }>('SELECT count(*) AS n FROM emt_messages');
        assert(rows?.n === APPENDS, `Emmett: ${rows?.n} events, expected ${APPENDS}`);
      },
      afterAll: () => {
        emmettConnection?.close();
        emmettConnection = undefined;
        removeFile(emmettFile);
      },
    },
    {
      name: `floor: raw better-sqlite3 (${label})`,
      role: 'floor',
      note: 'one prepared INSERT per BEGIN IMMEDIATE transaction; UNIQUE(stream, revision) as the check',
      beforeEach: () => {
        floorDb?.close();
        if (floorFile) removeFile(floorFile);
        floorFile = freshFile();
        const db = new Database(floorFile);
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronous}`);
        db.exec(
          'CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, ' +
            'event_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, created INTEGER NOT NULL, ' +
            'UNIQUE (stream, revision))',
        );
        const insert = db.prepare(
          'INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        const append = db.transaction((stream: string, revision: number, data: string) =>
          insert.run(stream, revision, randomUUID(), 'Deposited', data, metadata, Date.now()),
        ).immediate;
        floorAppend = (stream, revision, data) => void append(stream, revision, data);
        floorDb = db;
      },
      fn: () => {
        const append = floorAppend!;
        for (let j = 0; j < APPENDS_PER_STREAM; j++) {
          for (let i = 0; i < STREAMS; i++) append(streamName(i), j, payload(i, j));
        }
      },
      check: () => {
        const row = floorDb!.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
        assert(row.n === APPENDS, `floor: ${row.n} events, expected ${APPENDS}`);
      },
      afterAll: () => {
        floorDb?.close();
        floorDb = undefined;
        removeFile(floorFile);
      },
    },
  ];
}

async function main(): Promise<void> {
  const cases = [];
  try {
    for (const synchronous of ['FULL', 'NORMAL'] as const) {
      const contenders = contendersAt(synchronous).filter((c) => c.role !== 'peer' || emmettSqlite !== undefined);
      const named = (role: Contender['role']) => contenders.filter((c) => c.role === role).map((c) => c.name);
      cases.push(
        await runCase({
          id: `sqlite-append-${synchronous.toLowerCase()}`,
          title: `SQLite append (synchronous=${synchronous}): ${STREAMS.toLocaleString('en')} streams x ${APPENDS_PER_STREAM} single-event appends`,
          unit: 'events',
          units: APPENDS,
          contenders,
          comparisons: [
            {
              us: named('us')[0]!,
              peers: named('peer'),
              floor: named('floor')[0]!,
            },
          ],
          iterations: synchronous === 'FULL' ? 3 : 5,
          rounds: synchronous === 'FULL' ? 3 : 5,
          timeMs: 1_000,
          warmupIterations: 1,
          notes: [
            ...(emmettSqlite ? [] : ['@event-driven-io/emmett-sqlite is not installed here (see the workload header): no peer row.']),
            'Each iteration appends into a fresh file (WAL mode); every append is its own transaction. Issue #13 targets: ≥ 1.2x Emmett and ≥ 0.7x the floor (stricter than the bench-wide 0.5x).',
            synchronous === 'FULL'
              ? 'FULL: each commit waits for an fsync, so the disk dominates every contender; figures move with the machine’s disk.'
              : 'NORMAL: commits are fsynced at WAL checkpoints only (an OS crash or power cut may lose the last commits; a process crash loses nothing).',
          ],
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  emit('sqlite-append', cases);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
