import type { AggregateRoot } from '../../core/aggregate-root';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';

/**
 * Saved aggregates kept in memory between commands, so a load only reads the events appended since (usually none)
 * instead of replaying the stream.
 *
 * Check-out / check-in, never shared: a load *takes* the instance out of the cache, and only a successful `save`
 * puts it back. Two concurrent loads of one aggregate therefore never get the same object (the second replays from the
 * store), and an instance whose save failed is never served again. Least recently saved instances are evicted first.
 */
export class AggregateCache {
  private readonly entries = new Map<string, AggregateRoot>();

  constructor(
    /** Most instances kept (a positive integer); the least recently saved are evicted first. */
    readonly maxAggregates: number,
  ) {
    if (!Number.isSafeInteger(maxAggregates) || maxAggregates < 1) {
      throw new InvalidArgumentError(
        `cache.maxAggregates must be a positive integer, got ${describeValue(maxAggregates)}`,
      );
    }
  }

  /** Removes and returns the instance cached for `streamName`, if it is of `type`. */
  take<T extends AggregateRoot>(streamName: string, type: Function): T | undefined {
    const cached = this.entries.get(streamName);
    if (cached === undefined) return undefined;
    this.entries.delete(streamName);
    return cached.constructor === type ? (cached as T) : undefined;
  }

  /** Caches a just-saved instance (most recent last), evicting the least recently saved beyond the limit. */
  put(streamName: string, aggregate: AggregateRoot): void {
    this.entries.delete(streamName);
    this.entries.set(streamName, aggregate);
    if (this.entries.size > this.maxAggregates) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets the instance of `streamName` (after a delete). */
  evict(streamName: string): void {
    this.entries.delete(streamName);
  }

  /** Number of cached aggregates. */
  get size(): number {
    return this.entries.size;
  }
}
