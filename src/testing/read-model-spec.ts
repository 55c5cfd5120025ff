import type { AggregateRoot, AggregateType } from '../core/aggregate-root';
import type { Query, QueryResult } from '../core/message';
import type { ListenerSource } from '../foundation/subscriptions/listener-source';
import type { ReadModelBase } from '../foundation/read-models/read-model-base';
import type { RecordedEvent } from '../persistence/stream-store';
import type { ErrorClass } from './aggregate-spec';
import { diffValues, formatValue } from './message-diff';
import { inTestEnvironment } from './spec-support';
import {
  createTestEnvironment,
  type AggregateRef,
  type TestEnvironment,
  type TestEnvironmentOptions,
} from './test-environment';
import { SpecificationFailedError, SpecificationUsageError } from './testing.errors';

/** Options of {@link readModelSpec}. */
export interface ReadModelSpecOptions<
  M extends ReadModelBase = ReadModelBase,
> extends TestEnvironmentOptions {
  /** What the model follows; the specification starts it on these sources. */
  readonly sources: readonly ListenerSource[];
  /** Registers query handlers answering from the model on `env.queries` (for `thenQuery`). */
  readonly queries?: (model: M, env: TestEnvironment) => void;
}

type Write = {
  readonly stream: string | { type: AggregateRef; id: string };
  readonly events: readonly object[];
};

/**
 * Starts a given/when/then specification for a read model: a fresh {@link TestEnvironment} per run; `given`
 * events are stored before the model starts (catch-up), `when` events after it is live (live delivery); the model
 * is started on `options.sources` and awaited until it has handled everything written. Then check its state
 * (`then`, `thenState`), a query's result (`thenQuery`, with handlers registered by `options.queries`), or its
 * failure (`thenFails`).
 *
 * @example
 * ```ts
 * await readModelSpec((env) => new OrderSummaries(env), { registry, sources: [ListenerSources.category('order')] })
 *   .given(Order, orderId, new OrderPlaced(orderId, customerId, lines, 30))
 *   .when(Order, orderId, new OrderConfirmed(orderId))
 *   .thenState((model) => model.get(orderId)?.status, 'confirmed');
 * ```
 */
export function readModelSpec<M extends ReadModelBase>(
  create: (env: TestEnvironment) => M,
  options: ReadModelSpecOptions<M>,
): ReadModelSpec<M> {
  if (!options || !Array.isArray(options.sources) || options.sources.length === 0) {
    throw new SpecificationUsageError(
      'readModelSpec: options.sources must list what the model follows (e.g. ListenerSources.category("order"))',
    );
  }
  return new ReadModelSpec(create, options);
}

/** A read model specification; see {@link readModelSpec}. */
export class ReadModelSpec<M extends ReadModelBase> {
  private readonly before: Write[] = [];
  private readonly after: Write[] = [];

  constructor(
    private readonly create: (env: TestEnvironment) => M,
    private readonly options: ReadModelSpecOptions<M>,
  ) {}

  /** Events stored before the model starts (it catches up on them). */
  given<T extends AggregateRoot>(type: AggregateType<T>, id: T['id'], ...events: object[]): this {
    this.before.push({ stream: { type, id }, events });
    return this;
  }

  /** Events stored in a stream by name before the model starts. */
  givenStream(streamName: string, ...events: object[]): this {
    this.before.push({ stream: streamName, events });
    return this;
  }

  /** Events stored once the model is live (it receives them live). */
  when<T extends AggregateRoot>(type: AggregateType<T>, id: T['id'], ...events: object[]): this {
    this.after.push({ stream: { type, id }, events });
    return this;
  }

  /** Events stored in a stream by name once the model is live. */
  whenStream(streamName: string, ...events: object[]): this {
    this.after.push({ stream: streamName, events });
    return this;
  }

  /** Runs the scenario and hands the model (and environment) to `assert` — use `expect` there. Resolves with the model. */
  then(assert: (model: M, env: TestEnvironment) => void | Promise<void>): Promise<M> {
    // Awaiting the spec itself calls then(resolve, reject): detect it without widening the public signature.
    if (arguments.length === 2) {
      const error = new SpecificationUsageError(
        'readModelSpec: a specification was awaited without an outcome; end it with then(assert), thenState(...), thenQuery(...) or thenFails(...)',
      );
      // eslint-disable-next-line prefer-rest-params
      (arguments[1] as (error: unknown) => void)(error);
      return Promise.resolve(undefined as never);
    }
    return this.run(async (model, env) => {
      await assert(model, env);
    });
  }

  /**
   * Expects `select(model)` to equal `expected` (deeply, as Jest's `toEqual`: classes are not compared, so a cloned
   * or plain-object expectation matches; a per-field diff is reported).
   */
  thenState<S>(select: (model: M) => S, expected: S): Promise<M> {
    return this.run(async (model) => {
      const actual = select(model);
      const differences = diffValues(expected, actual, { classes: 'ignore' });
      if (differences.length > 0) {
        throw new SpecificationFailedError(
          `readModelSpec(${model.name}): the state differs from the expected one\n` +
            `Expected: ${formatValue(expected)}\nActual:   ${formatValue(actual)}\nDifferences:\n${differences.map((d) => `  ${d}`).join('\n')}`,
        );
      }
    });
  }

  /**
   * Expects `env.queries.fetch(query)` to resolve to `expected` (deeply, as Jest's `toEqual`: classes are not
   * compared, so a `structuredClone`d or plain-object expectation matches; a per-field diff is reported).
   */
  thenQuery<Q extends Query<unknown>>(query: Q, expected: QueryResult<Q>): Promise<M> {
    return this.run(async (model, env) => {
      if (!this.options.queries) {
        throw new SpecificationUsageError(
          `readModelSpec(${model.name}): thenQuery needs options.queries to register the query handlers`,
        );
      }
      const actual = await env.queries.fetch(query);
      const differences = diffValues(expected, actual, { classes: 'ignore' });
      if (differences.length > 0) {
        throw new SpecificationFailedError(
          `readModelSpec(${model.name}): query ${formatValue(query)} returned an unexpected result\n` +
            `Expected: ${formatValue(expected)}\nActual:   ${formatValue(actual)}\nDifferences:\n${differences.map((d) => `  ${d}`).join('\n')}`,
        );
      }
    });
  }

  /**
   * Expects the model to fail on an event (its status becomes `failed`); when `causeType` is given, the handler's
   * error (the failure's cause) must be an instance of it. Resolves with the failure.
   */
  async thenFails(causeType?: ErrorClass): Promise<Error> {
    const env = createTestEnvironment(this.options);
    try {
      const model = env.track(this.create(env));
      observeErrors(model);
      await this.writeAll(env, this.before);
      await model.start(...this.options.sources);
      // A failure is what this outcome expects: the model's own state says whether and how it failed.
      const live = await model.whenLive().then(
        () => true,
        () => false,
      );
      if (live) {
        const written = await this.writeAll(env, this.after);
        await this.waitForWrites(model, written).catch(() => undefined);
      }
      const modelFailure = model.failure;
      if (!modelFailure) {
        throw new SpecificationFailedError(
          `readModelSpec(${model.name}): expected the model to fail, but it is ${model.status}`,
        );
      }
      const cause = modelFailure.cause;
      if (causeType && !(cause instanceof causeType)) {
        throw new SpecificationFailedError(
          `readModelSpec(${model.name}): the model failed as expected, but with ${formatValue(cause)} instead of a ${causeType.name}:\n${modelFailure.message}`,
          { cause: modelFailure },
        );
      }
      return modelFailure;
    } finally {
      // The failed model's errors are the expected outcome here, not a disposal problem.
      await env.dispose().catch(() => undefined);
    }
  }

  private run(check: (model: M, env: TestEnvironment) => Promise<void>): Promise<M> {
    return inTestEnvironment(this.options, async (env) => {
      const model = env.track(this.create(env));
      observeErrors(model);
      this.options.queries?.(model, env);
      await this.writeAll(env, this.before);
      await model.start(...this.options.sources);
      await model.whenLive().catch((error: unknown) => this.failed(model, error));
      const written = await this.writeAll(env, this.after);
      await this.waitForWrites(model, written).catch((error: unknown) => this.failed(model, error));
      await check(model, env);
      return model;
    });
  }

  private failed(model: M, error: unknown): never {
    throw new SpecificationFailedError(
      `readModelSpec(${model.name}): the model failed while handling the events: ${error instanceof Error ? error.message : formatValue(error)}`,
      { cause: error },
    );
  }

  /** Stores `writes` and returns the recorded events, in `$all` order. */
  private async writeAll(env: TestEnvironment, writes: readonly Write[]): Promise<RecordedEvent[]> {
    const before = await env.endPosition();
    for (const write of writes) {
      if (typeof write.stream === 'string') await env.givenStream(write.stream, ...write.events);
      else await env.givenStream(env.streamOf(write.stream.type, write.stream.id), ...write.events);
    }
    return env.readAllStored(before);
  }

  /** Waits until the model has handled everything its sources deliver up to the last of `written` (read your write). */
  private async waitForWrites(model: M, written: readonly RecordedEvent[]): Promise<void> {
    const last = written[written.length - 1];
    if (last) await model.waitFor(last.position);
  }
}

/**
 * The specification reports the model's failure itself; observing `errors$` keeps the same error from also
 * becoming a process warning. (The subscription ends with the model.)
 */
function observeErrors(model: ReadModelBase): void {
  model.errors$.subscribe({ error: () => undefined });
}
