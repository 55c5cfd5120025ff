import type { Checkpoint } from '../subscriptions/checkpoint';

/**
 * Saves applied checkpoints apart from the state, by policy: after `every` applied events of a source, once
 * nothing has been applied for `idleMs`, and on demand ({@link flush}: when a source goes live, on stop). Without
 * a `save` function (the owner writes checkpoints with its state) it does nothing.
 * @internal
 */
export class CheckpointSaver {
  readonly #unsaved = new Map<string, { readonly checkpoint: Checkpoint; readonly count: number }>();
  #timer: NodeJS.Timeout | undefined;
  #progress = 0;

  constructor(
    private readonly save: ((sourceKey: string, checkpoint: Checkpoint) => Promise<void>) | undefined,
    private readonly every: number,
    private readonly idleMs: number,
    /** Queues a {@link flush} (on the model's serial queue) when the idle period has passed. */
    private readonly flushWhenIdle: () => void,
  ) {}

  /** False when the owner writes checkpoints itself (nothing to save here). */
  get active(): boolean {
    return this.save !== undefined;
  }

  /** Records that `count` more events of `sourceKey` were applied up to `checkpoint`; saves when `every` is reached. */
  async applied(sourceKey: string, checkpoint: Checkpoint, count: number): Promise<void> {
    if (!this.save) return;
    const total = (this.#unsaved.get(sourceKey)?.count ?? 0) + count;
    this.#unsaved.set(sourceKey, { checkpoint, count: total });
    this.#progress += count;
    if (total >= this.every) await this.#saveOne(sourceKey);
    else this.#arm();
  }

  /** Saves every pending checkpoint. */
  async flush(): Promise<void> {
    for (const key of [...this.#unsaved.keys()]) await this.#saveOne(key);
  }

  /** Stops the idle timer (pending checkpoints stay pending). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets pending checkpoints (a rebuild deletes them anyway). */
  clear(): void {
    this.stop();
    this.#unsaved.clear();
  }

  async #saveOne(key: string): Promise<void> {
    const entry = this.#unsaved.get(key);
    if (!entry || !this.save) return;
    await this.save(key, entry.checkpoint);
    if (this.#unsaved.get(key) === entry) this.#unsaved.delete(key);
  }

  #arm(): void {
    if (this.#timer) return;
    const progressAtSchedule = this.#progress;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#progress !== progressAtSchedule) this.#arm();
      else this.flushWhenIdle();
    }, this.idleMs);
    this.#timer.unref(); // a pending checkpoint save must not keep the process alive; stop() flushes anyway
  }
}
