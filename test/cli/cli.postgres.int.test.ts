import { Pool } from 'pg';
import { PostgresCheckpointStore, PostgresStreamStore } from '../../src/adapters/postgres';
import { describeWithServer, serverUrl } from '../support/servers';
import { cliSqlSuite } from './cli-sql-suite';
import { assertBuilt } from './run-cli';

const SUITE = 'reactive-domain CLI on PostgreSQL';

/** The CLI as a child process against the real PostgreSQL (`postgres://…?schema=`), in a schema of its own. */
describeWithServer('postgres', SUITE, () => {
  const schema = `rd_cli_${process.pid}_${Date.now().toString(36)}`;
  const url = `${serverUrl('postgres')}${serverUrl('postgres').includes('?') ? '&' : '?'}schema=${schema}`;
  let admin: Pool;
  beforeAll(() => {
    assertBuilt();
    admin = new Pool({ connectionString: serverUrl('postgres'), max: 1 });
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  cliSqlSuite(() => ({
    url,
    open: async () => {
      const pool = new Pool({ connectionString: serverUrl('postgres'), max: 2 });
      const store = new PostgresStreamStore({ pool, schema });
      return {
        store,
        checkpoints: new PostgresCheckpointStore({ pool, schema }),
        close: async () => {
          await store.close();
          await pool.end();
        },
      };
    },
  }));
});
