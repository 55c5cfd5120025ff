import type { MessageType, Query, QueryResult } from '../core/message';
import { HandlerRegistry } from './handler-registry';
import type { BusSubscription } from './in-memory-bus';
import { MiddlewareList, runQueryPipeline, type QueryMiddleware } from './middleware';
import { QueryNotHandledError } from './query.errors';

/** What a query handler receives besides the query. */
export interface QueryContext {
  /** The caller's signal (never aborted when the caller passed none); pass it on to I/O. */
  readonly signal: AbortSignal;
}

/** Answers one query type with its typed result. */
export type QueryHandler<Q extends Query<unknown>> = (
  query: Q,
  context: QueryContext,
) => QueryResult<Q> | PromiseLike<QueryResult<Q>>;

/** Options for {@link QueryBus.fetch}. */
export interface FetchOptions {
  /** Passed to the handler; aborting it is the handler's cue to stop. */
  readonly signal?: AbortSignal;
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Sends queries to their single handler and resolves to the handler's typed result.
 *
 * @example
 * ```ts
 * class GetBalance extends Query<number> { constructor(readonly accountId: string) { super(); } }
 * queries.register(GetBalance, (q) => balances.get(q.accountId) ?? 0);
 * const balance: number = await queries.fetch(new GetBalance(id));
 * ```
 */
export class QueryBus {
  private readonly handlers = new HandlerRegistry<QueryHandler<Query<unknown>>>('query');
  private readonly middleware = new MiddlewareList<QueryMiddleware>();

  /**
   * Registers the handler for exactly `type`; the returned handle unregisters it.
   * @throws ExistingHandlerError when `type` already has a handler.
   */
  register<Q extends Query<unknown>>(type: MessageType<Q>, handler: QueryHandler<Q>): BusSubscription {
    return this.handlers.register(type, handler as unknown as QueryHandler<Query<unknown>>);
  }

  /** True when exactly `type` has a handler. */
  hasHandler(type: MessageType<Query<unknown>>): boolean {
    return this.handlers.has(type);
  }

  /**
   * Adds a middleware around every later query's handler, after those already added (the first added is the
   * outermost). The returned handle removes it. With none added, fetching costs one length check more.
   */
  use(middleware: QueryMiddleware): BusSubscription {
    return this.middleware.add(middleware);
  }

  /**
   * Runs the query's handler and resolves to its result; rejects with the handler's own error when it fails.
   * @throws QueryNotHandledError when no handler is registered for the query's class.
   */
  async fetch<Q extends Query<unknown>>(query: Q, options?: FetchOptions): Promise<QueryResult<Q>> {
    const handler = this.handlers.of(query);
    if (!handler) throw new QueryNotHandledError(query);
    options?.signal?.throwIfAborted();
    const signal = options?.signal ?? NEVER_ABORTED;
    const middleware = this.middleware.list;
    if (middleware.length > 0) {
      const invoke = () => handler(query, { signal });
      return (await runQueryPipeline(middleware, query, signal, invoke)) as QueryResult<Q>;
    }
    return (await handler(query, { signal })) as QueryResult<Q>;
  }
}
