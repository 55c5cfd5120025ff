/**
 * Shared set-up of the PostgreSQL suites: each test file gets its own schema (unique name), migrated, and drops it
 * afterwards, so files can run in parallel against one server.
 */
import { Pool } from 'pg';
import { newId } from '../../../src/core/id';
import { migrate } from '../../../src/adapters/postgres';
import { serverUrl } from '../../support/servers';

/** A fresh schema name: `rdt_` + 24 hex characters. */
export function uniqueSchema(): string {
  return `rdt_${newId().replace(/-/g, '').slice(-24)}`;
}

/** A pool on the test server (small; the caller ends it). */
export function testPool(max = 4): Pool {
  const pool = new Pool({ connectionString: serverUrl('postgres'), max });
  pool.on('error', () => undefined);
  return pool;
}

/** Creates and migrates a unique schema; returns it and a function that drops it. */
export async function freshSchema(): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = uniqueSchema();
  await migrate({ connectionString: serverUrl('postgres'), schema });
  return {
    schema,
    drop: async () => {
      const pool = testPool(1);
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

/** Polls until `check` holds; fails naming `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  // Generous: the $all horizon is cluster-wide, so a suite running beside this one that holds a transaction open
  // (on purpose, or a slow CI machine) delays delivery here; only a real loss should fail.
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
