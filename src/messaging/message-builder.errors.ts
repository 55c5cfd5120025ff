import { ReactiveDomainError } from '../core/reactive-domain.error';
import { describeType } from './describe-type';

/** `MessageBuilder` was given (or a factory returned) something that is not a correlated message. */
export class MessageNotCorrelatedError extends ReactiveDomainError {
  readonly code = 'MESSAGE_NOT_CORRELATED';
  constructor(
    /** The value that is not a correlated message. */
    readonly value: unknown,
    /** Whether it was given as the source or returned by the factory. */
    readonly role: 'source' | 'built message',
  ) {
    super(
      `The ${role} is not a correlated message (needs a string msgId, correlationId and causationId): ` +
        `${describeType(typeof value === 'object' && value !== null ? value.constructor : value)}`,
    );
  }
}

/** The factory returned a message that already has a correlation or causation id; ids are set once. */
export class MessageAlreadyCorrelatedError extends ReactiveDomainError {
  readonly code = 'MESSAGE_ALREADY_CORRELATED';
  constructor(
    /** The class (constructor) of the message the factory returned. */
    readonly messageType: unknown,
    /** The `msgId` of that message. */
    readonly msgId: string,
  ) {
    super(
      `Message ${describeType(messageType)} ${msgId} already has a correlationId or causationId; ` +
        `MessageBuilder sets them, the factory must leave them empty`,
    );
  }
}

/** Code asked for the ambient correlation source outside every `CorrelationScope`. */
export class NoCorrelationScopeError extends ReactiveDomainError {
  readonly code = 'NO_CORRELATION_SCOPE';
  constructor(
    /** What needed the ambient source, e.g. `MessageBuilder.fromScope()`. */
    readonly operation: string,
  ) {
    super(
      `${operation} needs an ambient correlation source, but it runs outside every CorrelationScope: ` +
        'pass the source explicitly, run the code in CorrelationScope.run(message, fn), or create the ' +
        'CommandDispatcher with { correlationScope: true } so command handlers run in a scope of their command',
    );
  }
}
