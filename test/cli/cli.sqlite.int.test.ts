import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointStore } from '../../src/foundation';
import type { StreamStore } from '../../src/persistence';
import { cliSqlSuite } from './cli-sql-suite';
import { optionalAdapter } from './optional-adapter';
import { assertBuilt } from './run-cli';

/** The parts of reactive-domain/sqlite this suite uses. */
interface SqliteAdapter {
  SqliteDatabase: { open(options: { path: string }): { close(): void } };
  SqliteStreamStore: new (options: { database: unknown }) => StreamStore;
  SqliteCheckpointStore: new (database: unknown) => CheckpointStore;
}

const SUITE = 'reactive-domain CLI on SQLite';
const adapter = optionalAdapter<SqliteAdapter>('sqlite', SUITE);

/** The CLI as a child process against a SQLite file (`sqlite:<file>`). */
(adapter ? describe : describe.skip)(SUITE, () => {
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
      const database = adapter!.SqliteDatabase.open({ path: file });
      const store = new adapter!.SqliteStreamStore({ database });
      return {
        store,
        checkpoints: new adapter!.SqliteCheckpointStore(database),
        close: async () => {
          await store.close();
          database.close();
        },
      };
    },
  }));
});
