import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCheckpointStore, SqliteDatabase, SqliteStreamStore } from '../../src/adapters/sqlite';
import { cliSqlSuite } from './cli-sql-suite';
import { assertBuilt } from './run-cli';

const SUITE = 'reactive-domain CLI on SQLite';

/** The CLI as a child process against a SQLite file (`sqlite:<file>`). */
describe(SUITE, () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rd-cli-sqlite-'));
    file = join(dir, 'events.sqlite');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  cliSqlSuite(() => ({
    url: `sqlite:${file}`,
    open: async () => {
      const database = SqliteDatabase.open({ path: file });
      const store = new SqliteStreamStore({ database });
      return {
        store,
        checkpoints: new SqliteCheckpointStore(database),
        close: async () => {
          await store.close();
          database.close();
        },
      };
    },
  }));
});
