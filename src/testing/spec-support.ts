import { formatValue } from './message-diff';
import { createTestEnvironment, type TestEnvironment, type TestEnvironmentOptions } from './test-environment';

// Helpers shared by the specifications and matchers; not part of the public API (not re-exported by index.ts).

/** `Name: message` for an error, the formatted value for anything else thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : formatValue(error);
}

/** Whether an error message contains `expected` (a string) or matches it (a RegExp). */
export function messageMatches(actual: string, expected: string | RegExp): boolean {
  return typeof expected === 'string' ? actual.includes(expected) : expected.test(actual);
}

/** `contain "text"` or `match /re/`, to complete "its message does not ...". */
export function describeMessageExpectation(expected: string | RegExp): string {
  return typeof expected === 'string' ? `contain ${JSON.stringify(expected)}` : `match ${String(expected)}`;
}

/**
 * Runs `body` in a fresh {@link TestEnvironment} and always disposes it. The body's failure wins over a disposal
 * failure, which is reported only when the body passed (a broken stored event must not go unnoticed).
 */
export async function inTestEnvironment<R>(
  options: TestEnvironmentOptions,
  body: (env: TestEnvironment) => Promise<R>,
): Promise<R> {
  const env = createTestEnvironment(options);
  let result: R;
  try {
    result = await body(env);
  } catch (error) {
    await env.dispose().catch(() => undefined);
    throw error;
  }
  await env.dispose();
  return result;
}
