import { TestRunnerMissingError } from '../testing.errors';
import { uniquePrefix, type ContractOptions, type StoreFactory } from './contract-support';

/**
 * The part of Jest's global API the contract suites use, typed here so that neither this library's build nor a
 * consumer's needs `@types/jest`: the suites look the globals up when they are registered, not when the module
 * loads, so importing `reactive-domain/testing` outside a test runner stays harmless.
 */

/** The matchers the suites call on `expect(actual)`. */
export interface ContractMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toBeInstanceOf(expected: abstract new (...args: never[]) => unknown): void;
  toHaveLength(length: number): void;
  toBeUndefined(): void;
  readonly not: ContractMatchers;
}

/** `expect(promise).rejects...`: the matchers awaited on a rejection. */
export interface ContractAsyncMatchers {
  toBeInstanceOf(expected: abstract new (...args: never[]) => unknown): Promise<void>;
  toMatchObject(expected: object): Promise<void>;
}

/** `expect(...)` as the suites use it. */
export type ContractExpect = (actual: unknown) => ContractMatchers & {
  readonly rejects: ContractAsyncMatchers;
};

/** The test-definition globals: `describe`, `it`, the hooks and `expect`. */
export interface ContractGlobals {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeoutMs?: number): void;
  beforeAll(body: () => Promise<void> | void, timeoutMs?: number): void;
  afterAll(body: () => Promise<void> | void, timeoutMs?: number): void;
  beforeEach(body: () => Promise<void> | void, timeoutMs?: number): void;
  afterEach(body: () => Promise<void> | void, timeoutMs?: number): void;
  expect: ContractExpect;
}

const NAMES = ['describe', 'it', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach', 'expect'] as const;

/**
 * Jest's globals, or {@link TestRunnerMissingError} naming what is missing (called outside Jest, or under a runner
 * that does not inject globals, e.g. Vitest without `globals: true`).
 */
export function contractGlobals(suite: string): ContractGlobals {
  const scope = globalThis as Record<string, unknown>;
  const missing = NAMES.filter((name) => typeof scope[name] !== 'function');
  if (missing.length > 0) throw new TestRunnerMissingError(suite, missing);
  return scope as unknown as ContractGlobals;
}

/** Where a contract body keeps what {@link describeContract} sets up: the store, and each test's name prefix. */
export interface ContractFixture<TStore> {
  /** Receives the store once the factory made it (before the first test). */
  store(store: TStore): void;
  /** Receives a fresh name prefix before each test. */
  eachTest(prefix: string): void;
}

/**
 * Registers `describe(title)` around `body` with the lifecycle every contract suite shares: the factory runs once
 * before the tests and `dispose` once after them (both under `setupTimeoutMs`), each test gets a fresh name prefix,
 * and the `it` handed to `body` applies `testTimeoutMs`.
 */
export function describeContract<TStore>(
  title: string,
  factory: StoreFactory<TStore>,
  options: ContractOptions,
  fixture: ContractFixture<TStore>,
  body: (globals: ContractGlobals) => void,
): void {
  const globals = contractGlobals(title);
  const it: ContractGlobals['it'] = (name, test, timeoutMs) =>
    globals.it(name, test, timeoutMs ?? options.testTimeoutMs);
  globals.describe(title, () => {
    let dispose: (() => Promise<void> | void) | undefined;
    globals.beforeAll(async () => {
      const made = await factory();
      dispose = made.dispose;
      fixture.store(made.store);
    }, options.setupTimeoutMs);
    globals.afterAll(async () => {
      await dispose?.();
    }, options.setupTimeoutMs);
    globals.beforeEach(() => fixture.eachTest(uniquePrefix()));
    body({ ...globals, it });
  });
}
