import type { Checkpoint } from '../subscriptions/checkpoint';
import type { CheckpointStore } from '../subscriptions/checkpoint-store';
import { EventApplyError, type EventProcessorHooks } from './event-processor-hooks';
import type { EventRouter } from './event-router';
import { CheckpointStoreError } from './read-model.errors';

/**
 * The {@link EventProcessorHooks} of a model whose state lives in memory: one event per `apply`, routed by `router`;
 * checkpoints kept apart in an optional {@link CheckpointStore} (failures typed as {@link CheckpointStoreError}).
 * Shared by `ReadModelBase` and `ProcessManagerHost`.
 * @internal
 */
export function checkpointStoreHooks(options: {
  readonly name: string;
  readonly checkpoints: CheckpointStore | undefined;
  readonly router: EventRouter;
  /** Drops the model's state (rebuild); the stored checkpoints are deleted after it. */
  readonly reset: () => void | Promise<void>;
}): EventProcessorHooks {
  const { name, checkpoints, router } = options;
  const failed = (cause: unknown): never => {
    throw new EventApplyError(0, { cause });
  };
  return {
    loadCheckpoints: async () => {
      if (!checkpoints) return new Map<string, Checkpoint>();
      try {
        return await checkpoints.load(name);
      } catch (error) {
        throw new CheckpointStoreError(name, 'load', { cause: error });
      }
    },
    // Synchronous unless the handler is: most events then cost no extra promise.
    apply: ([delivery]) => {
      if (!delivery) return; // a parked event: its checkpoint is saved by saveCheckpoint
      const { recorded, source, checkpoint } = delivery;
      let pending: PromiseLike<unknown> | void = undefined;
      try {
        pending = router.dispatch(recorded, { recorded, source, checkpoint });
      } catch (cause) {
        failed(cause);
      }
      if (pending) return Promise.resolve(pending).then(() => undefined, failed);
    },
    ...(checkpoints
      ? {
          saveCheckpoint: async (key: string, checkpoint: Checkpoint) => {
            try {
              await checkpoints.save(name, key, checkpoint);
            } catch (error) {
              throw new CheckpointStoreError(name, 'save', { cause: error });
            }
          },
        }
      : {}),
    reset: async () => {
      await options.reset();
      if (!checkpoints) return;
      try {
        await checkpoints.delete(name);
      } catch (error) {
        throw new CheckpointStoreError(name, 'delete', { cause: error });
      }
    },
  };
}
