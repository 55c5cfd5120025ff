import { InvalidSchemaNameError } from './postgres.errors';

/** The schema the PostgreSQL stores use when none is given. */
export const DEFAULT_SCHEMA = 'reactive_domain';

/** Lower-case letters, digits and `_`, starting with a letter or `_`, at most 48 characters. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Throws {@link InvalidSchemaNameError} unless `name` is a plain lower-case PostgreSQL identifier of at most 48
 * characters, not starting with `pg_` (reserved by PostgreSQL). The limit leaves room for the derived names
 * (notification channel, prepared statements) inside PostgreSQL's 63-byte identifiers. The name is then safe to
 * quote into SQL: nothing else ever is.
 */
export function assertSchemaName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidSchemaNameError(name, 'must be a non-empty string');
  if (name.length > 48) throw new InvalidSchemaNameError(name, 'must be at most 48 characters');
  if (!SCHEMA_NAME.test(name)) {
    throw new InvalidSchemaNameError(
      name,
      'use lower-case letters, digits and "_" only, starting with a letter or "_"',
    );
  }
  if (name.startsWith('pg_'))
    throw new InvalidSchemaNameError(name, 'names starting with "pg_" are reserved');
}
