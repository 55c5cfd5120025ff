/**
 * The `reactive-domain/postgres` subpath, imported through one file like the root entry (see `reactive-domain.ts`):
 * an application writes `import('reactive-domain/postgres')` here.
 */
export * from '../../src/adapters/postgres';
