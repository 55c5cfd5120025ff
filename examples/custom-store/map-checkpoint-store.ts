// A third-party checkpoint store, as small as one can be: checkpoints in a Map, as plain objects. A real one would
// write a table; the contract it must pass is the same (see custom-store.test.ts).
import {
  assertCheckpointModel,
  assertCheckpointSave,
  type Checkpoint,
  type CheckpointStore,
} from 'reactive-domain';

export class MapCheckpointStore implements CheckpointStore {
  private readonly models = new Map<string, Map<string, Checkpoint>>();

  async load(model: string): Promise<ReadonlyMap<string, Checkpoint>> {
    assertCheckpointModel(model, 'load'); // the library's own checks: same typed errors as every store
    return new Map(this.models.get(model));
  }

  async save(model: string, sourceKey: string, checkpoint: Checkpoint): Promise<void> {
    assertCheckpointSave(model, sourceKey, checkpoint);
    let checkpoints = this.models.get(model);
    if (!checkpoints) this.models.set(model, (checkpoints = new Map()));
    // A copy: the caller's object stays the caller's (checkpoints are small, immutable records).
    checkpoints.set(sourceKey, { ...checkpoint });
  }

  async delete(model: string): Promise<void> {
    assertCheckpointModel(model, 'delete');
    this.models.delete(model);
  }
}
