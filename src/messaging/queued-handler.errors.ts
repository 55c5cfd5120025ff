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

/**
 * A draining `stop()` was called from inside the queue's own handler: waiting for it would wait for the handler
 * itself. The queue stops all the same (after handling what is queued); do not await the stop there, or use
 * `stop({ drain: false })`.
 */
export class QueueStopInsideHandlerError extends ReactiveDomainError {
  readonly code = 'QUEUE_STOP_INSIDE_HANDLER';
  constructor(
    /** The queue's name. */
    readonly queueName: string,
  ) {
    super(
      `Queue ${JSON.stringify(queueName)}: stop() was called from inside its own handler; awaiting a draining stop ` +
        'there would wait for the handler itself. The queue is stopping anyway: call `void queue.stop()` or ' +
        'stop({ drain: false }) from a handler',
    );
  }
}
