import { ReactiveDomainError } from '../core/reactive-domain.error';

/** A bounded queue with `whenFull: 'reject'` was full when a message was offered. */
export class QueueFullError extends ReactiveDomainError {
  readonly code = 'QUEUE_FULL';
  constructor(
    /** The queue's name. */
    readonly queueName: string,
    /** Most messages that may wait in the queue (the one being handled not counted). */
    readonly capacity: number,
  ) {
    super(`Queue ${JSON.stringify(queueName)} is full (capacity ${capacity})`);
  }
}

/** The queue was stopped: it accepts no new messages, and producers still waiting for room were turned away. */
export class QueueStoppedError extends ReactiveDomainError {
  readonly code = 'QUEUE_STOPPED';
  constructor(
    /** The queue's name. */
    readonly queueName: string,
  ) {
    super(`Queue ${JSON.stringify(queueName)} is stopped and accepts no messages`);
  }
}
