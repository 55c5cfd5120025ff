/**
 * The `reactive-domain/sqlite` subpath, imported through one file like the root entry (see `reactive-domain.ts`):
 * an application writes `import('reactive-domain/sqlite')` here.
 */
export * from '../../src/adapters/sqlite';
