/** Schema names and the shipped SQL file: no server needed. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InvalidSchemaNameError,
  PostgresCheckpointStore,
  PostgresSnapshotStore,
  PostgresStreamStore,
  assertSchemaName,
  migrate,
  schemaSql,
} from '../../../src/adapters/postgres';

describe('PostgreSQL schema names', () => {
  it.each(['reactive_domain', 'rd', '_x1', 'a'.repeat(48)])('accepts %s', (name) => {
    expect(() => assertSchemaName(name)).not.toThrow();
  });

  it.each([
    ['', /non-empty/],
    ['Upper', /lower-case/],
    ['has space', /lower-case/],
    ['x"; DROP TABLE y; --', /lower-case/],
    ['1abc', /starting with a letter/],
    ['pg_catalog', /reserved/],
    ['a'.repeat(49), /at most 48/],
  ])('refuses %j with a typed error', (name, reason) => {
    let error: unknown;
    try {
      assertSchemaName(name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidSchemaNameError);
    expect(error).toMatchObject({ code: 'INVALID_SCHEMA_NAME', schemaName: name });
    expect((error as Error).message).toMatch(reason);
  });

  it('every entry point refuses a bad name before any SQL (nothing listens on port 1, yet the error is the name)', async () => {
    const options = { connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: 'Bad-Name' };
    expect(() => new PostgresStreamStore(options)).toThrow(InvalidSchemaNameError);
    expect(() => new PostgresCheckpointStore(options)).toThrow(InvalidSchemaNameError);
    expect(() => new PostgresSnapshotStore(options)).toThrow(InvalidSchemaNameError);
    await expect(migrate(options)).rejects.toBeInstanceOf(InvalidSchemaNameError);
    expect(() => schemaSql('Bad-Name')).toThrow(InvalidSchemaNameError);
  });
});

describe('schema.sql', () => {
  it('is exactly what migrate() applies for the default schema (regenerate with schemaSql() if this fails)', () => {
    const shipped = readFileSync(join(__dirname, '../../../src/adapters/postgres/schema.sql'), 'utf8');
    expect(shipped).toBe(schemaSql());
  });
});
