import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { fromStoredCheckpoint, toStoredCheckpoint, type Checkpoint } from '../subscriptions/checkpoint';
import type { ProjectionTransactions } from './projection-transactions';

/** One transaction of {@link InMemoryProjectionTransactions}: a private draft of the state, kept on commit. */
export class InMemoryProjectionTx<S> {
  /** @internal */
  readonly checkpoints: Map<string, string>;
  /** @internal */
  open = true;

  constructor(
    /** Sequence number of the transaction (1, 2, ...), e.g. to see which events shared one. */
    readonly id: number,
    /** The draft state: mutate it, or replace it (e.g. in `reset`); it becomes the state on commit. */
    public state: S,
    checkpoints: ReadonlyMap<string, string>,
  ) {
    this.checkpoints = new Map(checkpoints);
  }
}

/** Options of {@link InMemoryProjectionTransactions}. */
export interface InMemoryProjectionTransactionsOptions<S> {
  /** Copies the committed state into a transaction's draft (default `structuredClone`). */
  readonly clone?: (state: S) => S;
}

/**
 * {@link ProjectionTransactions} in memory, for tests and examples: each transaction works on a copy of the
 * committed state and checkpoints (copy-on-write), which replaces them only when the work resolves — a handler
 * that throws leaves nothing behind, as a database rollback would. Transactions run one at a time. Checkpoints are
 * kept as JSON text, as a database would keep them.
 *
 * @example
 * ```ts
 * const transactions = new InMemoryProjectionTransactions(new Map<string, number>());
 * class Totals extends DurableReadModel<InMemoryProjectionTx<Map<string, number>>> {
 *   protected applyDeposited(e: Deposited, { tx }: DurableEventContext<InMemoryProjectionTx<Map<string, number>>>) {
 *     tx.state.set(e.accountId, (tx.state.get(e.accountId) ?? 0) + e.amount);
 *   }
 * }
 * ```
 */
export class InMemoryProjectionTransactions<S> implements ProjectionTransactions<InMemoryProjectionTx<S>> {
  #state: S;
  #checkpoints = new Map<string, string>();
  readonly #clone: (state: S) => S;
  #tail: Promise<unknown> = Promise.resolve();
  #sequence = 0;
  #failNext: unknown;
  /** Transactions committed so far. */
  committed = 0;
  /** Transactions rolled back so far. */
  rolledBack = 0;

  constructor(initial: S, options: InMemoryProjectionTransactionsOptions<S> = {}) {
    this.#state = initial;
    this.#clone = options.clone ?? ((state) => structuredClone(state));
  }

  /** The committed state (do not mutate it: write through a transaction). */
  get state(): S {
    return this.#state;
  }

  /** The committed checkpoint of model `name` (undefined: none). */
  checkpointOf(name: string): Checkpoint | undefined {
    const json = this.#checkpoints.get(name);
    return json === undefined ? undefined : fromStoredCheckpoint(JSON.parse(json));
  }

  /** Makes the next transaction fail at commit with `error` (its work runs, then everything rolls back). */
  failNextCommit(error: unknown): void {
    this.#failNext = error;
  }

  transaction<T>(work: (tx: InMemoryProjectionTx<S>) => Promise<T>): Promise<T> {
    if (typeof work !== 'function')
      return Promise.reject(
        new InvalidArgumentError(`transaction: work must be a function, got ${describeValue(work)}`),
      );
    const run = this.#tail.then(() => this.#run(work));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #run<T>(work: (tx: InMemoryProjectionTx<S>) => Promise<T>): Promise<T> {
    const tx = new InMemoryProjectionTx(++this.#sequence, this.#clone(this.#state), this.#checkpoints);
    try {
      const result = await work(tx);
      if (this.#failNext !== undefined) {
        const error = this.#failNext;
        this.#failNext = undefined;
        throw error;
      }
      this.#state = tx.state;
      this.#checkpoints = tx.checkpoints;
      this.committed++;
      return result;
    } catch (error) {
      this.rolledBack++;
      throw error;
    } finally {
      tx.open = false;
    }
  }

  async loadCheckpoint(tx: InMemoryProjectionTx<S>, name: string): Promise<Checkpoint | undefined> {
    const json = this.#open(tx).checkpoints.get(name);
    return json === undefined ? undefined : fromStoredCheckpoint(JSON.parse(json));
  }

  async saveCheckpoint(tx: InMemoryProjectionTx<S>, name: string, checkpoint: Checkpoint): Promise<void> {
    this.#open(tx).checkpoints.set(name, JSON.stringify(toStoredCheckpoint(checkpoint)));
  }

  async deleteCheckpoint(tx: InMemoryProjectionTx<S>, name: string): Promise<void> {
    this.#open(tx).checkpoints.delete(name);
  }

  #open(tx: InMemoryProjectionTx<S>): InMemoryProjectionTx<S> {
    if (!(tx instanceof InMemoryProjectionTx) || !tx.open) {
      throw new InvalidArgumentError(
        'InMemoryProjectionTransactions: use the transaction passed to the work, while the work runs',
      );
    }
    return tx;
  }
}
