/**
 * Two Jest projects (`--selectProjects unit` / `integration`):
 * - unit: every `*.test.ts` under test/ and examples/ except `*.int.test.ts`. No server, no build, no network:
 *   `npm run test:unit` runs them in seconds.
 * - integration: `*.int.test.ts`: real servers (EventStoreDB, PostgreSQL, RabbitMQ, NATS; each suite skips with
 *   one line when its server is absent, or fails under REQUIRE_<SERVER>=1), the EventStoreDB wire test server over
 *   real gRPC, and the built package (dist/, which `npm test` builds first). Global setup probes the servers once.
 * `npm test` runs both.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: false, useDefineForClassFields: true },
    },
    module: { type: 'commonjs' },
  },
];

/** Shared by both projects. */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  transform: { '^.+\\.ts$': swc },
  // Examples import the library by its package name, as users do; here that name means the sources.
  moduleNameMapper: {
    '^reactive-domain$': '<rootDir>/src/index.ts',
    '^reactive-domain/([a-z-]+)$': ['<rootDir>/src/$1/index.ts', '<rootDir>/src/adapters/$1/index.ts'],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  // Generous for a loaded CI machine: integration suites wait on real servers (a PostgreSQL `$all` reader waits
  // for the cluster-wide transaction horizon); a hang still fails, named by the test.
  testTimeout: 90000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
