import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import { describeWithServer, serverUrl } from '../../test/support/servers';
import { uniqueSchema } from '../../test/adapters/postgres/pg-test-support';

/** `npm run demo -- --store postgres`: the same story on the real PostgreSQL server, in a schema of its own. */
describeWithServer('postgres', 'npm run demo -- --store postgres', () => {
  const schema = uniqueSchema();
  afterAll(async () => {
    const pool = new Pool({ connectionString: serverUrl('postgres'), max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('runs the order service end to end on PostgreSQL and exits 0', () => {
    const root = resolve(__dirname, '../..');
    const env: NodeJS.ProcessEnv = { ...process.env, PG_URL: serverUrl('postgres'), PG_SCHEMA: schema };
    delete env.EVENTSTORE_URL;
    const out = execFileSync('npm', ['run', '--silent', 'demo', '--', '--store', 'postgres'], {
      cwd: root,
      encoding: 'utf8',
      env,
    });
    expect(out).toMatch(/^store: PostgreSQL at .* \(schema rdt_/);
    expect(out).toMatch(/order-…[0-9a-f]{6}@0 +OrderPlaced/);
    expect(out).toMatch(/All expected outcomes observed\.\s*$/);
  });
});
