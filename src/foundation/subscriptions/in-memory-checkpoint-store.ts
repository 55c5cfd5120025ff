import { fromStoredCheckpoint, toStoredCheckpoint, type Checkpoint } from './checkpoint';
import { assertCheckpointModel, assertCheckpointSave, type CheckpointStore } from './checkpoint-store';

/**
 * A {@link CheckpointStore} in memory. Checkpoints are kept as JSON text, exactly as a durable store would keep
 * them (a `bigint` position as a decimal string), so tests exercise the round trip.
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  private readonly models = new Map<string, Map<string, string>>();

  async load(model: string): Promise<ReadonlyMap<string, Checkpoint>> {
    assertCheckpointModel(model, 'load');
    const stored = this.models.get(model);
    const result = new Map<string, Checkpoint>();
    if (stored) for (const [key, json] of stored) result.set(key, fromStoredCheckpoint(JSON.parse(json)));
    return result;
  }

  async save(model: string, sourceKey: string, checkpoint: Checkpoint): Promise<void> {
    assertCheckpointSave(model, sourceKey, checkpoint);
    let stored = this.models.get(model);
    if (!stored) this.models.set(model, (stored = new Map()));
    stored.set(sourceKey, JSON.stringify(toStoredCheckpoint(checkpoint)));
  }

  async delete(model: string): Promise<void> {
    assertCheckpointModel(model, 'delete');
    this.models.delete(model);
  }

  /** The raw stored JSON of one checkpoint (for tests and diagnostics). */
  rawOf(model: string, sourceKey: string): string | undefined {
    return this.models.get(model)?.get(sourceKey);
  }
}
