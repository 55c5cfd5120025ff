/**
 * An in-process wake-up for subscriptions that cannot lose a notification in the gap between a read and the wait
 * that follows it: capture {@link ChangeSignal.version} before reading, then `wait(seen)` returns at once if a
 * `notify()` happened in between.
 *
 * A store calls `notify()` after every commit (and when it learns of another process's commit, e.g. PostgreSQL
 * `LISTEN/NOTIFY`).
 */
export class ChangeSignal {
  private count = 0;
  private waiters: (() => void)[] = [];

  /** Increments on every {@link notify}. */
  get version(): number {
    return this.count;
  }

  /** Wakes every current waiter. Cheap when nobody waits. */
  notify(): void {
    this.count++;
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves on the first {@link notify} after `seen` (at once if one happened already), after `timeoutMs` when
   * given, or when `signal` aborts. Never rejects.
   */
  wait(seen: number, timeoutMs: number | undefined, signal?: AbortSignal): Promise<void> {
    if (this.count !== seen || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const index = this.waiters.indexOf(done);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve();
      };
      this.waiters.push(done);
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
