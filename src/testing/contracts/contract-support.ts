import { newId } from '../../core/id';
import type { EventData, RecordedEvent, SubscriptionHandlers } from '../../persistence/stream-store';
import type { SubscriptionDroppedError } from '../../persistence/stream-store.errors';

/** A store under test, as a contract suite's factory returns it. */
export interface StoreUnderTest<TStore> {
  /** The store the suite exercises. The suite never closes it. */
  readonly store: TStore;
  /** Runs once after the suite (close the store, stop its server, drop its schema...). */
  readonly dispose?: () => Promise<void> | void;
}

/**
 * Creates the store a contract suite runs against. Called ONCE per suite (in `beforeAll`): the tests share the
 * store, and each test uses names of its own (a fresh prefix), so the store may also hold other data, e.g. a shared
 * database or server.
 */
export type StoreFactory<TStore> = () => Promise<StoreUnderTest<TStore>> | StoreUnderTest<TStore>;

/** Options every contract suite takes. */
export interface ContractOptions {
  /**
   * Per-test timeout in ms, passed to `it` (default: the runner's, 5 s in Jest). Raise it for a remote store or a
   * slow machine.
   */
  readonly testTimeoutMs?: number;
  /** How long the suite waits for an asynchronous outcome, e.g. a subscription delivery (default 10 000 ms). */
  readonly waitTimeoutMs?: number;
  /** Timeout in ms of the factory and `dispose` hooks (default: the runner's). Raise it for a container start. */
  readonly setupTimeoutMs?: number;
}

/** Default of {@link ContractOptions.waitTimeoutMs}. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;

/**
 * Polls `check` on the event loop until it returns true; rejects naming `what` after `timeoutMs`. Use it to wait for
 * an asynchronous outcome instead of sleeping for a guessed time.
 */
export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A fresh name prefix of letters and digits, unique per call: keeps one test's data apart from every other's. */
export function uniquePrefix(): string {
  return `ct${newId().replace(/-/g, '')}`;
}

/** An event to append, with a fresh id; `data` and `metadata` record `n` so tests can tell events apart. */
export function sampleEvent(type = 'ContractEvent', n = 0): EventData {
  return {
    eventId: newId(),
    type,
    data: JSON.stringify({ n }),
    metadata: JSON.stringify({ source: 'contract', n }),
  };
}

/** `count` events from {@link sampleEvent}, numbered 0..count-1. */
export function sampleEvents(count: number, type = 'ContractEvent'): EventData[] {
  return Array.from({ length: count }, (_, n) => sampleEvent(type, n));
}

/**
 * Records what a subscription delivers: a log of labels (by default the revision) with `'live'` where the live signal
 * came, the events themselves, and the drops.
 */
export class SubscriptionRecorder {
  /** One label per delivered event, and `'live'` at the live signal, in order. */
  readonly log: string[] = [];
  /** The delivered events, in order. */
  readonly events: RecordedEvent[] = [];
  /** The drops reported to `onDropped`. */
  readonly drops: SubscriptionDroppedError[] = [];

  constructor(
    /** Labels an event in {@link SubscriptionRecorder.log} (default: its revision). */
    private readonly label: (event: RecordedEvent) => string = (event) => String(event.revision),
    /** How long {@link SubscriptionRecorder.waitForLog} waits. */
    private readonly timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
  ) {}

  /** Handlers to subscribe with; `onEvent` runs after the event is recorded (throw there to test drops). */
  handlers(onEvent?: (event: RecordedEvent) => void | Promise<void>): SubscriptionHandlers {
    return {
      onEvent: async (event) => {
        this.events.push(event);
        this.log.push(this.label(event));
        if (onEvent) await onEvent(event);
      },
      onLive: () => void this.log.push('live'),
      onDropped: (error) => void this.drops.push(error),
    };
  }

  /** Resolves once the log has at least `length` entries. */
  async waitForLog(length: number): Promise<void> {
    await eventually(
      () => this.log.length >= length,
      `${length} log entries (have ${JSON.stringify(this.log)})`,
      this.timeoutMs,
    );
  }
}

/** The error `promise` rejects with; throws if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** The error `call` throws synchronously or rejects with; throws if it succeeds. */
export async function failureOf(call: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return error;
  }
  return rejectionOf(Promise.resolve(result));
}
