import type { AggregateRoot, AggregateType } from '../core/aggregate-root';
import type { Command } from '../core/message';
import { Canceled, Fail, type CommandResponse } from '../messaging/command-messages';
import type { ErrorClass } from './aggregate-spec';
import { compareMessages, formatMessageList, formatValue, mismatchReport } from './message-diff';
import { describeError, describeMessageExpectation, inTestEnvironment, messageMatches } from './spec-support';
import type { AggregateRef, TestEnvironment, TestEnvironmentOptions } from './test-environment';
import { SpecificationFailedError, SpecificationUsageError } from './testing.errors';

/** Expected appends to one stream, built with {@link appended}. */
export interface AppendedExpectation {
  /** An aggregate (class and id) or a stream name. */
  readonly stream:
    | string
    | {
        /** The aggregate class (its `typeName` names the stream). */
        readonly type: AggregateRef;
        /** The aggregate's id. */
        readonly id: string;
      };
  /** The events expected in that stream, in order (compared field by field; `msgId` never). */
  readonly events: readonly object[];
}

/** Expects `events` to be appended to the stream of aggregate `type` `id` (in this order, and nothing else there). */
export function appended<T extends AggregateRoot>(
  type: AggregateType<T>,
  id: T['id'],
  ...events: object[]
): AppendedExpectation;
/** Expects `events` to be appended to the stream named `streamName`. */
export function appended(streamName: string, ...events: object[]): AppendedExpectation;
export function appended(first: AggregateRef | string, ...rest: unknown[]): AppendedExpectation {
  if (typeof first === 'string') return { stream: first, events: rest as object[] };
  const [id, ...events] = rest;
  if (typeof id !== 'string')
    throw new SpecificationUsageError(`appended(${first.typeName}, id, ...events): the id must be a string`);
  return { stream: { type: first, id }, events: events as object[] };
}

/** Options of {@link commandSpec}. */
export interface CommandSpecOptions extends TestEnvironmentOptions {
  /**
   * Check that every appended event belongs to the command's conversation (`correlationId` = the command's
   * correlation id, or its msgId when it has none). Default `true`.
   */
  readonly checkCorrelation?: boolean;
}

/** What a command specification observed; for further assertions. */
export interface CommandOutcome {
  /** The command that was sent. */
  readonly command: Command;
  /** The dispatcher's answer: `Success`, `Fail` or `Canceled`. */
  readonly response: CommandResponse;
  /** Events appended while the command ran, by stream name, deserialized, in order. */
  readonly appended: ReadonlyMap<string, readonly object[]>;
}

/**
 * Starts a given/when/then specification for command handlers: a fresh {@link TestEnvironment} per run, `setup`
 * registers the handlers (on `env.dispatcher`, usually with `env.correlated`), `given` writes history to streams,
 * `when(command)` sends it through the dispatcher, and `then`/`thenFails` check the {@link CommandResponse} and the
 * events appended to each stream.
 *
 * @example
 * ```ts
 * await commandSpec((env) => registerOrderHandlers(env.dispatcher, env.correlated), { registry })
 *   .given(Order, orderId, new OrderPlaced(orderId, customerId, lines, 30))
 *   .when(new ConfirmOrder(orderId))
 *   .then(appended(Order, orderId, new OrderConfirmed(orderId)));
 * ```
 */
export function commandSpec(
  setup: (env: TestEnvironment) => unknown,
  options: CommandSpecOptions = {},
): CommandSpec {
  return new CommandSpec(setup, options);
}

/** Events that exist in a stream before the command runs. */
export type Given = {
  /** A stream name, or an aggregate class and id. */
  readonly stream:
    | string
    | {
        /** The aggregate class (its `typeName` names the stream). */
        type: AggregateRef;
        /** The aggregate's id. */
        id: string;
      };
  /** The events written to that stream, in order. */
  readonly events: readonly object[];
};

/** The `given` stage of a command specification; see {@link commandSpec}. */
export class CommandSpec {
  private readonly history: Given[] = [];

  constructor(
    private readonly setup: (env: TestEnvironment) => unknown,
    private readonly options: CommandSpecOptions,
  ) {}

  /** Past events of an aggregate's stream. */
  given<T extends AggregateRoot>(type: AggregateType<T>, id: T['id'], ...events: object[]): this {
    this.history.push({ stream: { type, id }, events });
    return this;
  }

  /** Past events of a stream by name. */
  givenStream(streamName: string, ...events: object[]): this {
    this.history.push({ stream: streamName, events });
    return this;
  }

  /** Sends `command` through the dispatcher. */
  when(command: Command): CommandSpecWhen {
    return new CommandSpecWhen(this.setup, this.options, [...this.history], command);
  }
}

/** The `when` stage of a command specification: end it with `then` or `thenFails`. */
export class CommandSpecWhen {
  constructor(
    private readonly setup: (env: TestEnvironment) => unknown,
    private readonly options: CommandSpecOptions,
    private readonly history: readonly Given[],
    private readonly command: Command,
  ) {}

  /**
   * Expects the command to succeed and exactly these appends: every listed stream received exactly its events, and
   * no other stream received anything. `then()` with no argument: success, nothing appended.
   */
  then(...expected: AppendedExpectation[]): Promise<CommandOutcome> {
    if (expected.length === 2 && typeof expected[0] === 'function' && typeof expected[1] === 'function') {
      // Awaiting the `when` stage itself: report it instead of passing.
      const error = new SpecificationUsageError(
        `commandSpec: a specification was awaited without an outcome; end it with then(...) or thenFails(...)`,
      );
      (expected[1] as unknown as (error: unknown) => void)(error);
      return Promise.resolve(undefined as never);
    }
    return this.run(async (outcome, env) => {
      if (outcome.response instanceof Fail) {
        throw new SpecificationFailedError(
          `${this.subject()}: expected success, got ${describeResponse(outcome.response)}` +
            this.appendedText(outcome),
          { cause: outcome.response.error },
        );
      }
      this.checkAppends(expected, outcome, env);
    });
  }

  /**
   * Expects the command to fail (not time out) with an error of `errorType` (the handler's own error, unwrapped),
   * whose message contains `message` or matches it, and nothing to be appended. Resolves with the error.
   */
  async thenFails<E extends Error>(errorType: ErrorClass<E>, message?: string | RegExp): Promise<E> {
    let found: E | undefined;
    await this.run(async (outcome) => {
      const response = outcome.response;
      if (!(response instanceof Fail) || response instanceof Canceled) {
        throw new SpecificationFailedError(
          `${this.subject()}: expected it to fail with ${errorType.name}, got ${describeResponse(response)}` +
            this.appendedText(outcome),
        );
      }
      const error = response.error;
      if (!(error instanceof errorType)) {
        throw new SpecificationFailedError(
          `${this.subject()}: expected it to fail with ${errorType.name}, got ${describeError(error)}`,
          { cause: error },
        );
      }
      if (message !== undefined && !messageMatches(error.message, message)) {
        throw new SpecificationFailedError(
          `${this.subject()}: failed with ${errorType.name} as expected, but its message ${JSON.stringify(error.message)} ` +
            `does not ${describeMessageExpectation(message)}`,
          { cause: error },
        );
      }
      if (outcome.appended.size > 0) {
        throw new SpecificationFailedError(
          `${this.subject()}: failed with ${errorType.name} as expected, but events were appended anyway:` +
            this.appendedText(outcome),
        );
      }
      found = error;
    });
    return found!;
  }

  private run(
    check: (outcome: CommandOutcome, env: TestEnvironment) => Promise<void>,
  ): Promise<CommandOutcome> {
    return inTestEnvironment(this.options, async (env) => {
      await this.setup(env);
      for (const given of this.history) {
        if (typeof given.stream === 'string') await env.givenStream(given.stream, ...given.events);
        else await env.givenStream(env.streamOf(given.stream.type, given.stream.id), ...given.events);
      }
      const before = await env.endPosition();
      const response = await env.dispatcher.trySend(this.command);
      const byStream = new Map<string, object[]>();
      for (const recorded of await env.readAllStored(before)) {
        const { event } = env.serializer.deserialize(recorded);
        let list = byStream.get(recorded.streamName);
        if (!list) byStream.set(recorded.streamName, (list = []));
        list.push(event);
      }
      const outcome: CommandOutcome = { command: this.command, response, appended: byStream };
      await check(outcome, env);
      return outcome;
    });
  }

  private checkAppends(
    expected: readonly AppendedExpectation[],
    outcome: CommandOutcome,
    env: TestEnvironment,
  ): void {
    const registry = env.registry;
    const problems: string[] = [];
    const listed = new Set<string>();
    for (const expectation of expected) {
      const name =
        typeof expectation.stream === 'string'
          ? expectation.stream
          : env.streamOf(expectation.stream.type, expectation.stream.id);
      listed.add(name);
      const actual = outcome.appended.get(name) ?? [];
      const differences = compareMessages(expectation.events, actual, { registry });
      if (differences.length > 0) {
        problems.push(
          mismatchReport(`Stream ${JSON.stringify(name)}:`, expectation.events, actual, differences, {
            registry,
          }),
        );
      }
    }
    for (const [name, events] of outcome.appended) {
      if (!listed.has(name)) {
        problems.push(
          `Stream ${JSON.stringify(name)}: unexpected appends:\n${formatMessageList(events, registry)}`,
        );
      }
    }
    if (this.options.checkCorrelation ?? true) {
      const conversation = this.command.correlationId || this.command.msgId;
      for (const [name, events] of outcome.appended) {
        events.forEach((event, i) => {
          const correlationId = (event as { correlationId?: unknown }).correlationId;
          if (correlationId !== conversation) {
            problems.push(
              `Stream ${JSON.stringify(name)}: appended event #${i} ${formatValue(event, { registry })} has correlationId ` +
                `${JSON.stringify(correlationId)}, expected the command's conversation ${JSON.stringify(conversation)}`,
            );
          }
        });
      }
    }
    if (problems.length > 0) {
      throw new SpecificationFailedError(
        `${this.subject()}: the appended events differ from the expected ones\n${problems.join('\n')}`,
      );
    }
  }

  private appendedText(outcome: CommandOutcome): string {
    if (outcome.appended.size === 0) return '';
    const lines = [...outcome.appended].map(
      ([name, events]) => `Stream ${JSON.stringify(name)}:\n${formatMessageList(events)}`,
    );
    return `\nAppended:\n${lines.join('\n')}`;
  }

  private subject(): string {
    return `commandSpec(${formatValue(this.command)})`;
  }
}

function describeResponse(response: CommandResponse): string {
  if (response instanceof Canceled) return `Canceled (${response.reason}): ${describeError(response.error)}`;
  if (response instanceof Fail) return `Fail: ${describeError(response.error)}`;
  return 'Success';
}
