import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { assertCheckpoint, type Checkpoint } from './checkpoint';

/**
 * Where read models keep their checkpoints, one per (model name, source key).
 *
 * **Durable read models: store the state and the checkpoint in one transaction.** A checkpoint saved apart from
 * the state it describes can disagree with it after a crash: saved before the state, events are lost; saved
 * after, events are applied twice. A read model whose state lives in a database should write the checkpoint it
 * receives in the handler context (`context.checkpoint`) in the same transaction as the state change, and
 * implement this port over that table (its `save` may then be a no-op, since the handler already wrote it).
 * The in-memory store suits in-memory models and tests, whose state dies with the process anyway.
 *
 * **Writing one:** check arguments with {@link assertCheckpointModel} / {@link assertCheckpointSave} (so every store
 * refuses the same malformed calls with the same typed error), keep a `bigint` position exactly (beyond 2^53; as a
 * decimal string or a 64-bit integer), and run `checkpointStoreContract` from `reactive-domain/testing`.
 */
export interface CheckpointStore {
  /** Every stored checkpoint of `model`, keyed by source key (see `sourceKeyOf`); empty when none. */
  load(model: string): Promise<ReadonlyMap<string, Checkpoint>>;
  /** Stores the checkpoint of one source of `model`, replacing the previous one. */
  save(model: string, sourceKey: string, checkpoint: Checkpoint): Promise<void>;
  /** Forgets every checkpoint of `model` (used by rebuild). */
  delete(model: string): Promise<void>;
}

function assertName(value: unknown, what: string, operation: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(
      `CheckpointStore.${operation}: ${what} must be a non-empty string, got ${describeValue(value)}`,
    );
  }
}

/**
 * Checks the `model` argument of {@link CheckpointStore.load} and {@link CheckpointStore.delete}: a non-empty string,
 * else {@link InvalidArgumentError}. Shared by every checkpoint store so they refuse the same calls alike.
 */
export function assertCheckpointModel(model: unknown, operation: 'load' | 'delete'): asserts model is string {
  assertName(model, 'model', operation);
}

/**
 * Checks the arguments of {@link CheckpointStore.save} before anything is written: non-empty `model` and `sourceKey`,
 * and a well-formed {@link Checkpoint} (a stream revision that is a safe integer >= 0, or a `$all` position that is a
 * `bigint` >= 0), else {@link InvalidArgumentError} naming the model, the source and the value.
 */
export function assertCheckpointSave(
  model: unknown,
  sourceKey: unknown,
  checkpoint: unknown,
): asserts checkpoint is Checkpoint {
  assertName(model, 'model', 'save');
  assertName(sourceKey, 'sourceKey', 'save');
  assertCheckpoint(
    checkpoint,
    `CheckpointStore.save(${JSON.stringify(model)}, ${JSON.stringify(sourceKey)})`,
  );
}
