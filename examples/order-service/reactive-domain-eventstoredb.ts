/**
 * The `reactive-domain/eventstoredb` subpath, imported through one file like the root entry (see
 * `reactive-domain.ts`): an application writes `import('reactive-domain/eventstoredb')` here.
 */
export * from '../../src/adapters/eventstoredb';
