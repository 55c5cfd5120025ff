import { TestRunnerMissingError } from '../testing.errors';

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
