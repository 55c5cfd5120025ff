import { Pool } from 'pg';
import type { CheckpointStore } from '../../src/foundation';
import type { StreamStore } from '../../src/persistence';
import { describeWithServer, serverUrl } from '../support/servers';
import { cliSqlSuite } from './cli-sql-suite';
import { optionalAdapter } from './optional-adapter';
import { assertBuilt } from './run-cli';

/** The parts of reactive-domain/postgres this suite uses. */
interface PostgresAdapter {
  PostgresStreamStore: new (options: { pool: Pool; schema: string }) => StreamStore;
  PostgresCheckpointStore: new (options: { pool: Pool; schema: string }) => CheckpointStore;
}

const SUITE = 'reactive-domain CLI on PostgreSQL';
const adapter = optionalAdapter<PostgresAdapter>('postgres', SUITE);

/** The CLI as a child process against the real PostgreSQL (`postgres://…?schema=`), in a schema of its own. */
const body = (): void => {
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
      const store = new adapter!.PostgresStreamStore({ pool, schema });
      return {
        store,
        checkpoints: new adapter!.PostgresCheckpointStore({ pool, schema }),
        close: async () => {
          await store.close();
          await pool.end();
        },
      };
    },
  }));
};
if (adapter) describeWithServer('postgres', SUITE, body);
else describe.skip(SUITE, body);
