import { ReactiveDomainError } from '../core/reactive-domain.error';
import { describeType } from './describe-type';

/**
 * The same handler was subscribed twice to one message type with different options (`exactType`); the bus cannot
 * tell which one was meant. Subscribing it again with the same options is idempotent and does not throw.
 */
export class ConflictingSubscriptionError extends ReactiveDomainError {
  readonly code = 'CONFLICTING_SUBSCRIPTION';
  constructor(
    /** The message class the handler was subscribed to. */
    readonly messageType: unknown,
  ) {
    super(
      `This handler is already subscribed to ${describeType(messageType)} with a different exactType option; ` +
        `unsubscribe it first`,
    );
  }
}
