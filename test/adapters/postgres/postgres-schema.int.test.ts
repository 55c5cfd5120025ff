/** migrate(), the schema version check, and the checkpoint and snapshot stores on the real server. */
import type { Pool } from 'pg';
import {
  PostgresCheckpointStore,
  PostgresSnapshotStore,
  PostgresStreamStore,
  SCHEMA_VERSION,
  SchemaNotMigratedError,
  SchemaVersionTooNewError,
  migrate,
  schemaSql,
} from '../../../src/adapters/postgres';
import { newId } from '../../../src/core/id';
import { allCheckpoint, streamCheckpoint } from '../../../src/foundation/subscriptions/checkpoint';
import { CorruptSnapshotError } from '../../../src/foundation/snapshots/snapshot.errors';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import { describeWithServer, serverUrl } from '../../support/servers';
import { freshSchema, testPool, uniqueSchema } from './pg-test-support';

const anEvent = () => ({ eventId: newId(), type: 'SchemaEvent', data: '{}', metadata: '{}' });

describeWithServer('postgres', 'PostgreSQL schema and the checkpoint and snapshot stores', () => {
  let pool: Pool;
  const schemas: string[] = [];
  const url = serverUrl('postgres');
  const track = (schema: string) => (schemas.push(schema), schema);

  beforeAll(() => {
    pool = testPool(4);
  });
  afterAll(async () => {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  describe('migrate', () => {
    it('creates the schema, is idempotent, and is safe to run from several processes at once', async () => {
      const schema = track(uniqueSchema());
      const results = await Promise.all([1, 2, 3].map(() => migrate({ connectionString: url, schema })));
      expect(results.map((r) => r.to)).toEqual([SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION]);
      expect(results.filter((r) => r.from === 0)).toHaveLength(1);
      expect(await migrate({ pool, schema })).toEqual({ schema, from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      const { rows } = await pool.query(`SELECT version FROM "${schema}".schema_version ORDER BY version`);
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
    });

    it('upgrades a version-1 schema to version 2 in place (the inbox and outbox tables are added, events kept)', async () => {
      const schema = track(uniqueSchema());
      await migrate({ pool, schema });
      // Take the schema back to what version 1 created: no inbox/outbox tables, one version row.
      await pool.query(`DROP TABLE "${schema}".inbox, "${schema}".outbox`);
      await pool.query(`DELETE FROM "${schema}".schema_version WHERE version = 2`);
      expect(await migrate({ pool, schema })).toEqual({ schema, from: 1, to: 2 });
      const { rows } = await pool.query(
        `SELECT to_regclass('"${schema}".inbox')::text AS inbox, to_regclass('"${schema}".outbox')::text AS outbox`,
      );
      expect(rows[0]).toEqual({ inbox: `${schema}.inbox`, outbox: `${schema}.outbox` });
    });

    it('a store on a schema that was never migrated fails with SchemaNotMigratedError, then works after migrate()', async () => {
      const schema = track(uniqueSchema());
      const store = new PostgresStreamStore({ pool, schema });
      try {
        await expect(store.appendToStream('s-1', ExpectedVersion.Any, [anEvent()])).rejects.toBeInstanceOf(
          SchemaNotMigratedError,
        );
        await migrate({ pool, schema });
        expect(
          (await store.appendToStream('s-1', ExpectedVersion.Any, [anEvent()])).nextExpectedVersion,
        ).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('a database newer than the library: typed error before any write, from migrate() and from every store', async () => {
      const { schema, drop } = await freshSchema();
      try {
        await pool.query(
          `INSERT INTO "${schema}".schema_version (version, description) VALUES (99, 'future')`,
        );
        const error = await migrate({ pool, schema }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SchemaVersionTooNewError);
        expect(error).toMatchObject({ code: 'SCHEMA_VERSION_TOO_NEW', found: 99, supported: SCHEMA_VERSION });
        const store = new PostgresStreamStore({ pool, schema });
        const checkpoints = new PostgresCheckpointStore({ pool, schema });
        const snapshots = new PostgresSnapshotStore({ pool, schema });
        await expect(store.appendToStream('s-1', ExpectedVersion.Any, [anEvent()])).rejects.toBeInstanceOf(
          SchemaVersionTooNewError,
        );
        await expect(checkpoints.save('m', 'k', streamCheckpoint(1))).rejects.toBeInstanceOf(
          SchemaVersionTooNewError,
        );
        await expect(
          snapshots.save('s-1', {
            aggregateType: 'A',
            aggregateId: '1',
            version: 0,
            schemaVersion: 1,
            state: {},
            takenAt: new Date(),
          }),
        ).rejects.toBeInstanceOf(SchemaVersionTooNewError);
        await store.close();
        const counts = await pool.query(
          `SELECT (SELECT count(*) FROM "${schema}".events)::int AS events, ` +
            `(SELECT count(*) FROM "${schema}".checkpoints)::int AS checkpoints, ` +
            `(SELECT count(*) FROM "${schema}".snapshots)::int AS snapshots`,
        );
        expect(counts.rows[0]).toEqual({ events: 0, checkpoints: 0, snapshots: 0 });
      } finally {
        await drop();
      }
    });

    it('schemaSql() is a runnable script: applied by hand it gives a schema the stores accept', async () => {
      const schema = track(uniqueSchema());
      await pool.query(schemaSql(schema));
      await pool.query(schemaSql(schema)); // idempotent too
      const store = new PostgresStreamStore({ pool, schema });
      try {
        expect(
          (await store.appendToStream('s-1', ExpectedVersion.NoStream, [anEvent()])).nextExpectedVersion,
        ).toBe(0);
      } finally {
        await store.close();
      }
      expect(await migrate({ pool, schema })).toMatchObject({ from: SCHEMA_VERSION });
    });
  });

  describe('PostgresCheckpointStore', () => {
    let schema: string;
    let drop: () => Promise<void>;
    let store: PostgresCheckpointStore;
    beforeAll(async () => {
      ({ schema, drop } = await freshSchema());
      store = new PostgresCheckpointStore({ connectionString: url, schema });
    });
    afterAll(async () => {
      await store.close();
      await drop();
    });

    it('saves, replaces, loads per model and deletes; positions round-trip as bigint', async () => {
      expect(await store.load('model-a')).toEqual(new Map());
      await store.save('model-a', '$all', allCheckpoint(2n ** 62n + 7n));
      await store.save('model-a', 'stream:order-1', streamCheckpoint(4));
      await store.save('model-a', 'stream:order-1', streamCheckpoint(5));
      await store.save('model-b', '$all', allCheckpoint(1n));
      expect(await store.load('model-a')).toEqual(
        new Map([
          ['$all', { kind: 'all', position: 2n ** 62n + 7n }],
          ['stream:order-1', { kind: 'stream', revision: 5 }],
        ]),
      );
      await store.delete('model-a');
      expect(await store.load('model-a')).toEqual(new Map());
      expect(await store.load('model-b')).toEqual(new Map([['$all', { kind: 'all', position: 1n }]]));
    });

    it('saveInTransaction commits or rolls back with the caller’s transaction', async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await store.saveInTransaction(client, 'model-tx', '$all', allCheckpoint(10n));
        await client.query('ROLLBACK');
        expect(await store.load('model-tx')).toEqual(new Map());
        await client.query('BEGIN');
        await store.saveInTransaction(client, 'model-tx', '$all', allCheckpoint(11n));
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      expect(await store.load('model-tx')).toEqual(new Map([['$all', { kind: 'all', position: 11n }]]));
    });

    it('a corrupt stored checkpoint is reported, not loaded', async () => {
      await pool.query(
        `INSERT INTO "${schema}".checkpoints (model, source_key, checkpoint) VALUES ('bad', 'k', '{"kind":"all"}')`,
      );
      await expect(store.load('bad')).rejects.toThrow(/corrupt/);
    });
  });

  describe('PostgresSnapshotStore', () => {
    let schema: string;
    let drop: () => Promise<void>;
    let store: PostgresSnapshotStore;
    beforeAll(async () => {
      ({ schema, drop } = await freshSchema());
      store = new PostgresSnapshotStore({ connectionString: url, schema });
    });
    afterAll(async () => {
      await store.close();
      await drop();
    });

    it('keeps the latest snapshot per stream; loads an equal copy', async () => {
      expect(await store.load('order-1')).toBeUndefined();
      const first = {
        aggregateType: 'Order',
        aggregateId: '1',
        version: 9,
        schemaVersion: 2,
        state: { lines: [{ sku: 'a', qty: 2 }], note: 'ü€' },
        takenAt: new Date('2026-11-30T12:00:00.123Z'),
      };
      await store.save('order-1', first);
      expect(await store.load('order-1')).toEqual(first);
      const second = {
        ...first,
        version: 19,
        state: { lines: [] },
        takenAt: new Date('2026-11-30T12:05:00.000Z'),
      };
      await store.save('order-1', second);
      expect(await store.load('order-1')).toEqual(second);
      expect(await store.load('order-2')).toBeUndefined();
    });

    it('a corrupt row is a CorruptSnapshotError', async () => {
      await pool.query(
        `INSERT INTO "${schema}".snapshots VALUES ('order-bad', 'Order', 'bad', 1, 1, '{not json', now())`,
      );
      await expect(store.load('order-bad')).rejects.toBeInstanceOf(CorruptSnapshotError);
    });
  });
});
