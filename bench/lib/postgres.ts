/**
 * A scratch database for the PostgreSQL workloads: created on the server at `PG_URL` (default the local test server)
 * and dropped afterwards, so Emmett's tables (which live in `public`) and ours never touch another database.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';

export const PG_URL = process.env.PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function scratchDatabase(): Promise<ScratchDatabase> {
  const name = `rd_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new Pool({ connectionString: PG_URL, max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Settings of the server that decide what the figures mean. */
export async function serverSettings(url: string): Promise<string> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version', 'wal_sync_method') ORDER BY name",
    );
    return rows.map((r) => `${r.name}=${r.setting}`).join(', ');
  } finally {
    await pool.end();
  }
}
