import type { AggregateRoot, AggregateType } from '../../core/aggregate-root';
import type { CorrelatedMessage } from '../../core/message';
import type { CorrelatedRepositoryApi, LoadOptions, SaveOptions, SaveResult } from './repository';
import type { StreamStoreRepository } from './stream-store-repository';

/**
 * Loads aggregates on behalf of a message (usually the command being handled) and makes it their correlation
 * source, so every event they raise carries the conversation's correlation id and the message as causation
 * (Reactive Domain's CorrelatedStreamStoreRepository). The source itself is never persisted.
 */
export class CorrelatedRepository implements CorrelatedRepositoryApi {
  constructor(
    /** The repository that does the loading and saving. */
    readonly repository: StreamStoreRepository,
  ) {}

  async getById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    source: CorrelatedMessage,
    options?: LoadOptions,
  ): Promise<T> {
    const aggregate = await this.repository.getById(type, id, options);
    aggregate.source = source;
    return aggregate;
  }

  async tryGetById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    source: CorrelatedMessage,
    options?: LoadOptions,
  ): Promise<T | undefined> {
    const aggregate = await this.repository.tryGetById(type, id, options);
    if (aggregate) aggregate.source = source;
    return aggregate;
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
