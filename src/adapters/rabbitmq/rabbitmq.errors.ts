import { ReactiveDomainError } from '../../core/reactive-domain.error';

/**
 * RabbitMQ refused to declare a group's queue or bindings, typically because the queue exists with other settings
 * (another `maxDeliveries`, or declared by another tool): RabbitMQ never changes an existing queue's arguments.
 * `cause` is the broker's error.
 */
export class RabbitMqDeclarationError extends ReactiveDomainError {
  readonly code = 'RABBITMQ_DECLARATION_FAILED';
  constructor(
    /** The group (queue name). */
    readonly group: string,
    cause: unknown,
  ) {
    super(
      `RabbitMQ refused to declare group ${JSON.stringify(group)}: ` +
        `${cause instanceof Error ? cause.message : String(cause)} ` +
        '(an existing queue keeps its arguments: delete it, or declare the group with its existing settings)',
      { cause },
    );
  }
}
