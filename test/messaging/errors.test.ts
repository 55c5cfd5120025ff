import { InvalidArgumentError, ReactiveDomainError } from '../../src/core/reactive-domain.error';
import {
  CommandCanceledError,
  CommandError,
  CommandNotHandledError,
  CommandTimedOutError,
  ConflictingSubscriptionError,
  ExistingHandlerError,
  InvalidTimeoutError,
  MessageAlreadyCorrelatedError,
  MessageNotCorrelatedError,
  QueryNotHandledError,
  QueueFullError,
  QueueStoppedError,
} from '../../src/messaging';
import { OpenAccount } from './fixtures';

describe('messaging errors', () => {
  const command = new OpenAccount('a');
  const errors: ReactiveDomainError[] = [
    new ConflictingSubscriptionError(OpenAccount),
    new ExistingHandlerError(OpenAccount, 'command'),
    new CommandError(command, new Error('x')),
    new CommandNotHandledError(command),
    new CommandTimedOutError(command, 10),
    new CommandCanceledError(command, 'why'),
    new InvalidTimeoutError(0),
    new QueryNotHandledError(command),
    new QueueFullError('q', 1),
    new QueueStoppedError('q'),
    new MessageNotCorrelatedError({}, 'source'),
    new MessageAlreadyCorrelatedError(OpenAccount, command.msgId),
  ];

  it('extend ReactiveDomainError, carry distinct stable codes and their class name', () => {
    for (const error of errors) {
      expect(error).toBeInstanceOf(ReactiveDomainError);
      expect(error.code).toMatch(/^[A-Z_]+$/);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
    expect(new InvalidTimeoutError(0)).toBeInstanceOf(InvalidArgumentError);
  });

  it('name the type or message involved', () => {
    expect(new ExistingHandlerError(OpenAccount, 'command').message).toContain('OpenAccount');
    for (const error of [new CommandNotHandledError(command), new CommandTimedOutError(command, 10)]) {
      expect(error.message).toContain(`OpenAccount ${command.msgId}`);
    }
    expect(new QueueFullError('orders', 5).message).toMatch(/"orders".*5/);
  });
});
