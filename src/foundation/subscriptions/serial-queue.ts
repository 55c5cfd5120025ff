/**
 * A serial async mailbox: tasks run one at a time, in the order they were queued, each after the previous one
 * settled (a failing task does not block the next). Used by read models so that several sources feed one model
 * without interleaving handlers.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];

  /** Queues `task`; the returned promise settles with its outcome. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.done(),
      () => this.done(),
    );
    return result;
  }

  /** Number of queued or running tasks. */
  get size(): number {
    return this.pending;
  }

  /** Resolves when no task is queued or running. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private done(): void {
    this.pending--;
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
