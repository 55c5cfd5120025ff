import { compileAllFilter, type AllFilterPredicate } from '../../persistence/all-filter';
import type { AllFilter } from '../../persistence/stream-store';

interface PendingAppend {
  /** Position of the append's last event. */
  readonly position: bigint;
  /** Events of the append this subscription will see. */
  readonly count: number;
  /** When the append completed (ms since epoch). */
  readonly at: number;
}

/**
 * How far one subscription is behind the appends made through the same traced store (this process): appends it
 * will see, not yet handled. Appends by other processes are not known here; a read model's distance to the
 * store's end is what `rebuild`/checkpoints show.
 * @internal
 */
export class LagTracker {
  readonly #matches: AllFilterPredicate;
  #pending: PendingAppend[] = [];
  #delivered: bigint = -1n;

  constructor(
    /** The subscription, as `stream <name>` or `$all ...`, used as the metric attribute. */
    readonly description: string,
    target: { stream: string } | { filter: AllFilter | undefined },
  ) {
    if ('stream' in target) {
      const stream = target.stream;
      this.#matches = (event) => event.streamName === stream;
    } else {
      this.#matches = compileAllFilter(target.filter);
    }
  }

  /** Records a completed append of `events` to `streamName`, ending at `position`. */
  appended(streamName: string, types: readonly string[], position: bigint, at: number): void {
    if (position <= this.#delivered) return;
    let count = 0;
    for (const type of types) if (this.#matches({ streamName, type })) count++;
    if (count > 0) this.#pending.push({ position, count, at });
  }

  /** Records that the subscription handled the event at `position`. */
  delivered(position: bigint): void {
    if (position > this.#delivered) this.#delivered = position;
    if (this.#pending.length === 0) return;
    this.#pending = this.#pending.filter((append) => append.position > position);
  }

  /** Events appended (and matching) but not handled yet. */
  get pendingEvents(): number {
    let total = 0;
    for (const append of this.#pending) total += append.count;
    return total;
  }

  /** Age in ms of the oldest pending append, 0 when there is none. */
  oldestPendingAgeMs(now: number): number {
    let oldest = now;
    for (const append of this.#pending) if (append.at < oldest) oldest = append.at;
    return now - oldest;
  }
}
