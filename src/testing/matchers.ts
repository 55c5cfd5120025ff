import type { AggregateRoot, AggregateType } from '../core/aggregate-root';
import { isCorrelatedMessage, type CorrelatedMessage, type MessageType } from '../core/message';
import { Canceled, Fail, Success } from '../messaging/command-messages';
import type { ErrorClass } from './aggregate-spec';
import { compareMessages, diffValues, formatMessageList, formatValue, mismatchReport } from './message-diff';
import { describeError, describeMessageExpectation, messageMatches } from './spec-support';

/**
 * Jest matchers for event-sourced code. They need nothing from Jest at load time (the context is typed
 * structurally), so this module is safe to import anywhere; register them once:
 *
 * ```ts
 * // jest.setup.ts (setupFilesAfterEach) or the top of a test file
 * import { reactiveDomainMatchers } from 'reactive-domain/testing';
 * expect.extend(reactiveDomainMatchers);
 * ```
 *
 * | matcher | received | passes when |
 * | --- | --- | --- |
 * | `toHaveRaised(...events)` | an aggregate (its pending events) or an array of events | exactly these events, in order (payloads; `msgId` ignored) |
 * | `toHaveAppended(stream, ...events)` / `toHaveAppended(Type, id, ...events)` | a `TestEnvironment` (async: `await expect(env)...`) | the stream holds exactly these events |
 * | `toBeCorrelatedWith(source)` | a message | `correlationId` = source's conversation, `causationId` = source's msgId |
 * | `toHaveReceived(Type, fieldsOrPredicate?)` | a `TestQueue` | some captured message is a `Type` (with these fields / satisfying it) |
 * | `toSucceed()` / `toFailWith(ErrorType, message?)` | a `CommandResponse` | a `Success` / a `Fail` whose error is an `ErrorType` |
 */

/** The part of Jest's matcher context these matchers use. */
export interface MatcherContextLike {
  /** True when the matcher was called through `.not`. */
  readonly isNot?: boolean;
  /** `'resolves'` or `'rejects'` when called through those modifiers; empty or undefined otherwise. */
  readonly promise?: string;
}

/** A matcher result, as Jest expects it. */
export interface MatcherResult {
  /** True when the received value matched (Jest inverts it for `.not`). */
  readonly pass: boolean;
  /** Builds the failure message, called only when the assertion fails. */
  readonly message: () => string;
}

/** Anything with pending events (an aggregate). */
interface HasPendingEvents {
  readonly pendingEvents: readonly object[];
}

/** Anything that can read a stream's events (a `TestEnvironment`). */
interface ReadsStreams {
  readEvents(stream: string | readonly [{ readonly typeName: string }, string]): Promise<object[]>;
}

/** Anything with captured messages (a `TestQueue`). */
interface HasMessages {
  readonly messages: readonly object[];
}

function eventsOf(received: unknown): readonly object[] | undefined {
  if (Array.isArray(received)) return received as object[];
  if (
    typeof received === 'object' &&
    received !== null &&
    Array.isArray((received as HasPendingEvents).pendingEvents)
  ) {
    return (received as HasPendingEvents).pendingEvents;
  }
  return undefined;
}

function listMatch(
  title: string,
  expected: readonly object[],
  actual: readonly object[],
  isNot: boolean,
): MatcherResult {
  const differences = compareMessages(expected, actual);
  const pass = differences.length === 0;
  return {
    pass,
    message: () =>
      isNot
        ? `${title}: expected the events not to be exactly:\n${formatMessageList(expected)}`
        : mismatchReport(`${title}: the events differ`, expected, actual, differences),
  };
}

function typeError(matcher: string, what: string, received: unknown): MatcherResult {
  return { pass: false, message: () => `${matcher}: expected ${what}, received ${formatValue(received)}` };
}

/** The matchers; pass this object to `expect.extend`. */
export const reactiveDomainMatchers = {
  /** The aggregate raised (or the array holds) exactly `expected`, in order. `toHaveRaised()` = nothing raised. */
  toHaveRaised(this: MatcherContextLike, received: unknown, ...expected: object[]): MatcherResult {
    const actual = eventsOf(received);
    if (!actual) return typeError('toHaveRaised', 'an aggregate or an array of events', received);
    const label = Array.isArray(received) ? 'toHaveRaised' : `toHaveRaised (${formatAggregate(received)})`;
    return listMatch(label, expected, actual, this.isNot ?? false);
  },

  /**
   * The stream holds exactly `expected` (`await expect(env).toHaveAppended('order-1', e1, e2)` or
   * `toHaveAppended(Order, id, e1, e2)`).
   */
  async toHaveAppended(
    this: MatcherContextLike,
    received: unknown,
    stream: string | { readonly typeName: string },
    ...rest: unknown[]
  ): Promise<MatcherResult> {
    if (
      typeof received !== 'object' ||
      received === null ||
      typeof (received as ReadsStreams).readEvents !== 'function'
    ) {
      return typeError('toHaveAppended', 'a TestEnvironment', received);
    }
    let ref: string | readonly [{ readonly typeName: string }, string];
    let expected: object[];
    if (typeof stream === 'string') {
      ref = stream;
      expected = rest as object[];
    } else {
      const [id, ...events] = rest;
      if (typeof id !== 'string')
        return { pass: false, message: () => 'toHaveAppended(Type, id, ...events): the id must be a string' };
      ref = [stream, id];
      expected = events as object[];
    }
    const actual = await (received as ReadsStreams).readEvents(ref);
    const name = typeof ref === 'string' ? ref : `${ref[0].typeName} ${ref[1]}`;
    return listMatch(`toHaveAppended (stream of ${name})`, expected, actual, this.isNot ?? false);
  },

  /** The message continues `source`'s conversation: its correlation (or msgId) as correlationId, its msgId as causationId. */
  toBeCorrelatedWith(this: MatcherContextLike, received: unknown, source: CorrelatedMessage): MatcherResult {
    if (!isCorrelatedMessage(received))
      return typeError('toBeCorrelatedWith', 'a correlated message', received);
    const correlationId = source.correlationId || source.msgId;
    const pass = received.correlationId === correlationId && received.causationId === source.msgId;
    return {
      pass,
      message: () =>
        this.isNot
          ? `toBeCorrelatedWith: expected ${formatValue(received)} not to be caused by ${formatValue(source)}`
          : `toBeCorrelatedWith: ${formatValue(received)}\n` +
            `  correlationId: expected ${JSON.stringify(correlationId)}, got ${JSON.stringify(received.correlationId)}\n` +
            `  causationId:   expected ${JSON.stringify(source.msgId)}, got ${JSON.stringify(received.causationId)}`,
    };
  },

  /**
   * Some message captured by the queue is a `type` — with `fields` (deep-equal where given) or satisfying the
   * predicate.
   */
  toHaveReceived<T extends object>(
    this: MatcherContextLike,
    received: unknown,
    type: MessageType<T>,
    fieldsOrPredicate?: Partial<T> | ((message: T) => boolean),
  ): MatcherResult {
    if (
      typeof received !== 'object' ||
      received === null ||
      !Array.isArray((received as HasMessages).messages)
    ) {
      return typeError('toHaveReceived', 'a TestQueue', received);
    }
    const messages = (received as HasMessages).messages;
    const candidates = messages.filter((m): m is T => m instanceof type);
    const matches = (m: T): boolean => {
      if (fieldsOrPredicate === undefined) return true;
      if (typeof fieldsOrPredicate === 'function') return fieldsOrPredicate(m);
      return Object.keys(fieldsOrPredicate).every(
        (key) =>
          diffValues((fieldsOrPredicate as Record<string, unknown>)[key], (m as Record<string, unknown>)[key])
            .length === 0,
      );
    };
    const found = candidates.find(matches);
    const wanted = `${type.name}${fieldsOrPredicate === undefined ? '' : typeof fieldsOrPredicate === 'function' ? ' satisfying the predicate' : ` with ${formatValue(fieldsOrPredicate)}`}`;
    return {
      pass: found !== undefined,
      message: () =>
        found !== undefined
          ? `toHaveReceived: expected no ${wanted}, found ${formatValue(found)}`
          : `toHaveReceived: no ${wanted} among ${messages.length} captured message(s):\n${formatMessageList(messages)}`,
    };
  },

  /** The command response is a `Success`. */
  toSucceed(this: MatcherContextLike, received: unknown): MatcherResult {
    if (!(received instanceof Success) && !(received instanceof Fail))
      return typeError('toSucceed', 'a CommandResponse', received);
    const pass = received instanceof Success;
    return {
      pass,
      message: () =>
        pass
          ? `toSucceed: expected the command ${formatValue(received.command)} not to succeed`
          : `toSucceed: ${describeFailure(received as Fail)}`,
    };
  },

  /** The command response is a `Fail` (not `Canceled`) whose error is an `errorType` (message containing/matching `message`). */
  toFailWith(
    this: MatcherContextLike,
    received: unknown,
    errorType: ErrorClass,
    message?: string | RegExp,
  ): MatcherResult {
    if (!(received instanceof Success) && !(received instanceof Fail))
      return typeError('toFailWith', 'a CommandResponse', received);
    const error = received instanceof Fail && !(received instanceof Canceled) ? received.error : undefined;
    const typeOk = error instanceof errorType;
    const messageOk =
      message === undefined || (error instanceof Error && messageMatches(error.message, message));
    const pass = typeOk && messageOk;
    return {
      pass,
      message: () => {
        if (pass)
          return `toFailWith: expected the command not to fail with ${errorType.name}, it did: ${(error as Error).message}`;
        if (received instanceof Success)
          return `toFailWith: expected ${errorType.name}, but the command ${formatValue(received.command)} succeeded`;
        if (!typeOk) return `toFailWith: expected ${errorType.name}; ${describeFailure(received as Fail)}`;
        return `toFailWith: ${errorType.name} message ${JSON.stringify((error as Error).message)} does not ${describeMessageExpectation(message!)}`;
      },
    };
  },
};

function describeFailure(response: Fail): string {
  const text = describeError(response.error);
  return response instanceof Canceled
    ? `the command ${formatValue(response.command)} was canceled (${response.reason}): ${text}`
    : `the command ${formatValue(response.command)} failed with ${text}`;
}

function formatAggregate(value: unknown): string {
  const ctor = (value as { constructor?: { typeName?: string; name?: string } }).constructor;
  const id = (value as { id?: unknown }).id;
  return `${ctor?.typeName ?? ctor?.name ?? 'aggregate'}${typeof id === 'string' ? ` ${JSON.stringify(id)}` : ''}`;
}

/** The matchers' signatures as Jest sees them (`R` is the matcher's return type). */
export interface ReactiveDomainMatchers<R> {
  /** The aggregate raised (or the array holds) exactly these events, in order; no argument = nothing raised. */
  toHaveRaised(...events: object[]): R;
  /** The environment's stream holds exactly these events (async: `await expect(env).toHaveAppended(...)`). */
  toHaveAppended(streamName: string, ...events: object[]): Promise<R>;
  /** The stream of aggregate `type` `id` holds exactly these events (async, as above). */
  toHaveAppended<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    ...events: object[]
  ): Promise<R>;
  /** The message continues `source`'s conversation (correlation and causation ids). */
  toBeCorrelatedWith(source: CorrelatedMessage): R;
  /** Some message captured by the TestQueue is a `type` (with these fields / satisfying the predicate). */
  toHaveReceived<T extends object>(
    type: MessageType<T>,
    fieldsOrPredicate?: Partial<T> | ((message: T) => boolean),
  ): R;
  /** The command response is a `Success`. */
  toSucceed(): R;
  /** The command response is a `Fail` whose error is an `errorType`. */
  toFailWith(errorType: ErrorClass, message?: string | RegExp): R;
}

declare global {
  // Augments @types/jest's global `expect` when it is present; harmless otherwise. Users of `@jest/globals` can
  // augment `expect`'s `Matchers` with `ReactiveDomainMatchers<R>` the same way.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> extends ReactiveDomainMatchers<R> {}
  }
}
