import { ReactiveDomainError } from '../../core/reactive-domain.error';

/** A stored snapshot could not be read back. */
export class CorruptSnapshotError extends ReactiveDomainError {
  readonly code = 'CORRUPT_SNAPSHOT';
  constructor(
    /** Where the snapshot was read from (for the stream store: `<aggregate stream>.snapshots`). */
    readonly streamName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Snapshot for stream ${JSON.stringify(streamName)} is corrupt: ${reason}`, options);
  }
}
