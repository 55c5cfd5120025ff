import type { AggregateRoot, AggregateType } from '../../core/aggregate-root';
import type { CorrelatedMessage } from '../../core/message';
import { CorrelationScope } from '../../messaging/correlation-scope';
import { NoCorrelationScopeError } from '../../messaging/message-builder.errors';
import type { CorrelatedRepositoryApi, LoadOptions, SaveOptions, SaveResult } from './repository';
import type { StreamStoreRepository, UpdateOptions } from './stream-store-repository';

/**
 * Loads aggregates on behalf of a message (usually the command being handled) and makes it their correlation
 * source, so every event they raise carries the conversation's correlation id and the message as causation
 * (Reactive Domain's CorrelatedStreamStoreRepository). The source itself is never persisted.
 *
 * Where a method takes a `source`, `undefined` means the ambient source of the current `CorrelationScope` (e.g. a
 * handler of a `CommandDispatcher` created with `{ correlationScope: true }`); outside every scope that is a
 * `NoCorrelationScopeError`.
 */
export class CorrelatedRepository implements CorrelatedRepositoryApi {
  constructor(
    /** The repository that does the loading and saving. */
    readonly repository: StreamStoreRepository,
  ) {}

  async getById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    source?: CorrelatedMessage,
    options?: LoadOptions,
  ): Promise<T> {
    const resolved = sourceOrScope(source, 'CorrelatedRepository.getById');
    const aggregate = await this.repository.getById(type, id, options);
    aggregate.source = resolved;
    return aggregate;
  }

  async tryGetById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    source?: CorrelatedMessage,
    options?: LoadOptions,
  ): Promise<T | undefined> {
    const resolved = sourceOrScope(source, 'CorrelatedRepository.tryGetById');
    const aggregate = await this.repository.tryGetById(type, id, options);
    if (aggregate) aggregate.source = resolved;
    return aggregate;
  }

  /**
   * Load on behalf of `source`, act, save — retried on a concurrency conflict (a fresh load each time), as
   * `StreamStoreRepository.update` does. `act` may run more than once: keep it free of other side effects.
   * Resolves the saved aggregate (its source cleared: the unit of work is over).
   */
  update<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    source: CorrelatedMessage | undefined,
    act: (aggregate: T) => void | Promise<void>,
    options: Omit<UpdateOptions, 'source'> = {},
  ): Promise<T> {
    const resolved = sourceOrScope(source, 'CorrelatedRepository.update');
    return this.repository.update(type, id, act, { ...options, source: resolved });
  }

  save(aggregate: AggregateRoot, options: SaveOptions = {}): Promise<SaveResult | undefined> {
    return this.repository.commit(aggregate, options, false);
  }

  saveAndContinue(aggregate: AggregateRoot, options: SaveOptions = {}): Promise<SaveResult | undefined> {
    return this.repository.commit(aggregate, options, true);
  }

  delete(aggregate: AggregateRoot): Promise<void> {
    return this.repository.delete(aggregate);
  }

  hardDelete(aggregate: AggregateRoot): Promise<void> {
    return this.repository.hardDelete(aggregate);
  }
}

function sourceOrScope(source: CorrelatedMessage | undefined, operation: string): CorrelatedMessage {
  if (source !== undefined) return source;
  const ambient = CorrelationScope.current();
  if (ambient === undefined) throw new NoCorrelationScopeError(`${operation} without a source`);
  return ambient;
}
