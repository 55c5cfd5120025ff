import type { Checkpoint } from './checkpoint';

/**
 * Where read models keep their checkpoints, one per (model name, source key).
 *
 * **Durable read models: store the state and the checkpoint in one transaction.** A checkpoint saved apart from
 * the state it describes can disagree with it after a crash: saved before the state, events are lost; saved
 * after, events are applied twice. A read model whose state lives in a database should write the checkpoint it
 * receives in the handler context (`context.checkpoint`) in the same transaction as the state change, and
 * implement this port over that table (its `save` may then be a no-op, since the handler already wrote it).
 * The in-memory store suits in-memory models and tests, whose state dies with the process anyway.
 */
export interface CheckpointStore {
  /** Every stored checkpoint of `model`, keyed by source key (see `sourceKeyOf`); empty when none. */
  load(model: string): Promise<ReadonlyMap<string, Checkpoint>>;
  /** Stores the checkpoint of one source of `model`, replacing the previous one. */
  save(model: string, sourceKey: string, checkpoint: Checkpoint): Promise<void>;
  /** Forgets every checkpoint of `model` (used by rebuild). */
  delete(model: string): Promise<void>;
}
