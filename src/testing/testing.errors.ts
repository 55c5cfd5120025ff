import { ReactiveDomainError } from '../core/reactive-domain.error';

/**
 * A given/when/then specification did not hold: the events, error, response or state differed from what was
 * expected. The message names the subject (aggregate, command, read model) and shows expected against actual.
 */
export class SpecificationFailedError extends ReactiveDomainError {
  readonly code = 'SPECIFICATION_FAILED';
}

/** A specification was used in a way that cannot run (e.g. awaited before any `then...`, or given events without an id). */
export class SpecificationUsageError extends ReactiveDomainError {
  readonly code = 'SPECIFICATION_USAGE';
}

/** A {@link TestQueue} did not receive the awaited message(s) in time. The message lists what it did see. */
export class TestQueueTimeoutError extends ReactiveDomainError {
  readonly code = 'TEST_QUEUE_TIMEOUT';
}

/** A {@link TestQueue} assertion failed (wrong next message, queue not empty, ...). */
export class TestQueueAssertionError extends ReactiveDomainError {
  readonly code = 'TEST_QUEUE_ASSERTION';
}

/**
 * A contract suite (`streamStoreContract`, `checkpointStoreContract`, `snapshotStoreContract`) was registered
 * outside a test runner that provides Jest's globals (`describe`, `it`, `expect`, the hooks). Run it from a Jest
 * test file (or a runner that injects the same globals).
 */
export class TestRunnerMissingError extends ReactiveDomainError {
  readonly code = 'TEST_RUNNER_MISSING';
  constructor(
    /** The suite that was being registered. */
    readonly suite: string,
    /** The globals that were not found. */
    readonly missing: readonly string[],
  ) {
    super(
      `${suite}: the contract suites run under Jest, but the global(s) ${missing.join(', ')} are not defined: ` +
        'call it from a Jest test file',
    );
  }
}
