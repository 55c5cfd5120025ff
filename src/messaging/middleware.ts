import type { Command, Query } from '../core/message';
import { Fail, Success } from './command-messages';
import type { BusSubscription } from './in-memory-bus';

/** What every middleware sees, for a command or a query. */
export interface MiddlewareContext<M> {
  /** `command` (dispatcher) or `query` (query bus). */
  readonly kind: 'command' | 'query';
  /** The message being handled. Its ids (`msgId`, `correlationId`, `causationId`) are on it. */
  readonly message: M;
  /**
   * Items shared along one dispatch, from one middleware to the next (e.g. the authenticated user, a tenant, a
   * trace span). Empty at the start of every dispatch.
   */
  readonly metadata: Map<string, unknown>;
  /** Aborted when the dispatch times out or its caller aborts: pass it on to I/O. */
  readonly signal: AbortSignal;
}

/** A command middleware's view: the command, and once `next()` settled, the outcome. */
export interface CommandMiddlewareContext<C extends Command = Command> extends MiddlewareContext<C> {
  /** Always `command`. */
  readonly kind: 'command';
  /** What the handler returned, once `next()` resolved with a {@link Success}. */
  readonly result: unknown;
  /** What the handler threw (or a later middleware failed with), once `next()` resolved with a {@link Fail}. */
  readonly error: unknown;
  /**
   * Builds the typed failure that short-circuits the pipeline: `return context.fail(new NotAllowedError(...))`.
   * The rest of the pipeline and the handler do not run; the caller receives this {@link Fail}.
   */
  fail(error: unknown): Fail;
}

/**
 * A step around command handling. Call `next()` to run the rest of the pipeline (later middleware, then the
 * handler); it never rejects: the handler's error comes back as a {@link Fail}. Return what `next()` gave, or a
 * `context.fail(...)` to stop. Throwing counts as `context.fail(thrown)`.
 */
export type CommandMiddleware = (
  context: CommandMiddlewareContext,
  next: () => Promise<Success | Fail>,
) => Success | Fail | Promise<Success | Fail>;

/** A query middleware's view: the query, and once `next()` settled, its result or error. */
export interface QueryMiddlewareContext<
  Q extends Query<unknown> = Query<unknown>,
> extends MiddlewareContext<Q> {
  /** Always `query`. */
  readonly kind: 'query';
  /** The handler's result, once `next()` resolved. */
  readonly result: unknown;
  /** The handler's error, once `next()` rejected. */
  readonly error: unknown;
  /**
   * Short-circuits with a typed failure: `return context.fail(new NotAllowedError(...))` makes `fetch` reject with
   * that error; the rest of the pipeline and the handler do not run.
   */
  fail(error: unknown): QueryFail;
}

/**
 * A typed short-circuit of the query pipeline (from {@link QueryMiddlewareContext.fail}): `fetch` rejects with
 * `error`. Queries have no response messages, so this is their counterpart of a command's {@link Fail}.
 */
export class QueryFail {
  /** Discriminant. */
  readonly kind = 'fail';
  constructor(
    /** The query that was refused. */
    readonly query: Query<unknown>,
    /** Why; `fetch` rejects with it. */
    readonly error: unknown,
  ) {}
}

/**
 * A step around query handling. `next()` resolves with the handler's result or rejects with its error. Return a
 * result (the handler's, or your own, e.g. from a cache), or `context.fail(...)`, or throw.
 */
export type QueryMiddleware = (context: QueryMiddlewareContext, next: () => Promise<unknown>) => unknown;

/**
 * Middleware in registration order. Registering copies the list, so a dispatch in flight keeps the list it started
 * with; reading `list` costs nothing when nobody registered (the dispatcher checks `length` once).
 * @internal
 */
export class MiddlewareList<T> {
  /** Current middleware, in registration order; replaced (not mutated) on change. */
  list: readonly T[] = [];

  /** Appends `middleware`; the handle removes it. */
  add(middleware: T): BusSubscription {
    this.list = [...this.list, middleware];
    let closed = false;
    return {
      unsubscribe: () => {
        if (closed) return;
        closed = true;
        const index = this.list.indexOf(middleware);
        if (index >= 0) this.list = [...this.list.slice(0, index), ...this.list.slice(index + 1)];
      },
      get closed() {
        return closed;
      },
    };
  }
}

/**
 * Runs `command` through `middlewares`, then the handler (`invoke`; its result becomes `succeed(result)`). Resolves
 * with the outcome; never rejects.
 * @internal used by `CommandDispatcher`
 */
export function runCommandPipeline(
  middlewares: readonly CommandMiddleware[],
  command: Command,
  signal: () => AbortSignal,
  invoke: () => unknown,
  succeed: (result: unknown) => Success,
): Promise<Success | Fail> {
  const context = new CommandPipelineContext(command, signal, succeed);
  const step = (index: number): Promise<Success | Fail> => {
    if (index === middlewares.length) {
      let returned: unknown;
      try {
        returned = invoke();
      } catch (error) {
        return Promise.resolve(context.fail(error));
      }
      return Promise.resolve(returned).then(
        (value) => context.succeeded(value),
        (error: unknown) => context.fail(error),
      );
    }
    let outcome: Success | Fail | Promise<Success | Fail>;
    try {
      outcome = middlewares[index]!(context, () => step(index + 1));
    } catch (error) {
      return Promise.resolve(context.fail(error));
    }
    return Promise.resolve(outcome).then(
      (value) =>
        value instanceof Success || value instanceof Fail ? value : context.notAnOutcome(index, value),
      (error: unknown) => context.fail(error),
    );
  };
  return step(0);
}

class CommandPipelineContext implements CommandMiddlewareContext {
  readonly kind = 'command';
  readonly metadata = new Map<string, unknown>();
  result: unknown = undefined;
  error: unknown = undefined;

  constructor(
    readonly message: Command,
    private readonly signalOf: () => AbortSignal,
    private readonly succeed: (result: unknown) => Success,
  ) {}

  get signal(): AbortSignal {
    return this.signalOf();
  }

  fail(error: unknown): Fail {
    this.error = error;
    return new Fail(this.message, error);
  }

  succeeded(value: unknown): Success {
    this.result = value;
    return this.succeed(value);
  }

  notAnOutcome(index: number, value: unknown): Fail {
    return this.fail(
      new TypeError(
        `Command middleware #${index} returned ${describe(value)} instead of the Success or Fail of next() or context.fail()`,
      ),
    );
  }
}

/**
 * Runs `query` through `middlewares`, then the handler (`invoke`). Resolves with the result; rejects with the
 * handler's error, a middleware's error, or a {@link QueryFail}'s error.
 * @internal used by `QueryBus`
 */
export async function runQueryPipeline(
  middlewares: readonly QueryMiddleware[],
  query: Query<unknown>,
  signal: AbortSignal,
  invoke: () => unknown,
): Promise<unknown> {
  const context = new QueryPipelineContext(query, signal);
  const step = async (index: number): Promise<unknown> => {
    if (index === middlewares.length) {
      try {
        context.result = await invoke();
        return context.result;
      } catch (error) {
        context.error = error;
        throw error;
      }
    }
    const outcome = await middlewares[index]!(context, () => step(index + 1));
    if (outcome instanceof QueryFail) throw outcome.error;
    return outcome;
  };
  return step(0);
}

class QueryPipelineContext implements QueryMiddlewareContext {
  readonly kind = 'query';
  readonly metadata = new Map<string, unknown>();
  result: unknown = undefined;
  error: unknown = undefined;

  constructor(
    readonly message: Query<unknown>,
    readonly signal: AbortSignal,
  ) {}

  fail(error: unknown): QueryFail {
    this.error = error;
    return new QueryFail(this.message, error);
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no class'})`;
  return `a ${typeof value}`;
}
