import type * as PostgresAdapter from '../../../src/adapters/postgres';

/** Without the optional peer `pg`, importing the adapter works and connecting fails with a typed error. */
describe('reactive-domain/postgres without pg installed', () => {
  afterEach(() => {
    jest.dontMock('pg');
    jest.resetModules();
  });

  it('imports, then refuses to connect with PgPackageMissingError naming the package', () => {
    jest.resetModules();
    jest.doMock('pg', () => {
      throw Object.assign(new Error("Cannot find module 'pg'"), { code: 'MODULE_NOT_FOUND' });
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const adapter = require('../../../src/adapters/postgres') as typeof PostgresAdapter;
      let error: unknown;
      try {
        adapter.PostgresStreamStore.fromConnectionString('postgres://postgres@127.0.0.1:1/test');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(adapter.PgPackageMissingError);
      expect(error).toMatchObject({ code: 'CLIENT_PACKAGE_MISSING', packageName: 'pg' });
      expect((error as Error).message).toMatch(/add pg \(8\.x\) to your dependencies/);
    });
  });
});
