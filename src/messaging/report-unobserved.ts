import { logSafely } from '../core/logger';

/**
 * Last-resort report for a failure nobody is listening for (no `errors$` observer, no `onError` callback): a
 * process warning on stderr, so the failure is never silent, and never an unhandled rejection or a crash.
 */
export function reportUnobserved(source: string, error: unknown): void {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  logSafely(
    'error',
    { type: 'ReactiveDomainUnobservedError', err: error },
    `${source}: ${detail} (subscribe to errors$ or pass onError to handle it)`,
  );
}
