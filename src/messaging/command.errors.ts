import {
  InvalidArgumentError,
  ReactiveDomainError,
  describeValue,
  keepOutOfLogs,
} from '../core/reactive-domain.error';
import type { Message } from '../core/message';
import { describeMessage as commandLabel, describeType } from './describe-type';

/** A handler is already registered for exactly this command (or query) type; there is one handler per type. */
export class ExistingHandlerError extends ReactiveDomainError {
  readonly code = 'EXISTING_HANDLER';
  constructor(
    /** The command or query class that already has a handler. */
    readonly messageType: unknown,
    /** Whether it is a command or a query handler. */
    readonly kind: 'command' | 'query',
  ) {
    super(
      `A ${kind} handler for ${describeType(messageType)} is already registered; there is one handler per type`,
    );
  }
}

/** The command's handler failed; `cause` is what the handler threw (or rejected with). */
export class CommandError extends ReactiveDomainError {
  readonly code = 'COMMAND_FAILED';
  constructor(
    /** The command whose handler failed. */
    readonly command: Message,
    cause: unknown,
  ) {
    super(
      `Command ${commandLabel(command)} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    keepOutOfLogs(this, 'command'); // its fields may be personal data
  }
}

/** No handler is registered for the command's exact type. Raised at once: in-process there is nothing to wait for. */
export class CommandNotHandledError extends ReactiveDomainError {
  readonly code = 'COMMAND_NOT_HANDLED';
  constructor(
    /** The command nobody handles. */
    readonly command: Message,
  ) {
    super(`No handler is registered for command ${commandLabel(command)}`);
    keepOutOfLogs(this, 'command'); // its fields may be personal data
  }
}

/** The command did not complete within its timeout; its handler's `AbortSignal` was aborted with this error. */
export class CommandTimedOutError extends ReactiveDomainError {
  readonly code = 'COMMAND_TIMED_OUT';
  constructor(
    /** The command that timed out. */
    readonly command: Message,
    /** The timeout that elapsed, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`Command ${commandLabel(command)} timed out after ${timeoutMs} ms`);
    keepOutOfLogs(this, 'command'); // its fields may be personal data
  }
}

/**
 * The caller aborted the command (its `signal` fired, possibly before the command was handled at all); the
 * handler's `AbortSignal` was aborted with this error. `cause` is the caller signal's reason.
 */
export class CommandCanceledError extends ReactiveDomainError {
  readonly code = 'COMMAND_CANCELED';
  constructor(
    /** The command the caller aborted. */
    readonly command: Message,
    reason?: unknown,
  ) {
    super(`Command ${commandLabel(command)} was canceled by the caller`, { cause: reason });
    keepOutOfLogs(this, 'command'); // its fields may be personal data
  }
}

/** A command timeout is not a positive, finite number of milliseconds that a timer can hold. */
export class InvalidTimeoutError extends InvalidArgumentError {
  override readonly code = 'INVALID_TIMEOUT';
  constructor(
    /** The rejected timeout value, as given. */
    readonly timeoutMs: unknown,
  ) {
    super(
      `Command timeout must be a finite number of milliseconds in (0, ${MAX_TIMEOUT_MS}], got ${String(timeoutMs)}`,
    );
  }
}

/** Largest delay `setTimeout` honours; larger values fire at once, so they are rejected. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** `send`/`trySend` was given something that is not a command (undefined, null, a plain object, a non-message). */
export class NotACommandError extends InvalidArgumentError {
  override readonly code = 'NOT_A_COMMAND';
  constructor(
    /** What was passed instead of a command. */
    readonly value: unknown,
  ) {
    super(
      `send() expects a command (an instance of a class extending Command, with a string msgId), got ${describeNonCommand(value)}`,
    );
  }
}

function describeNonCommand(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return Array.isArray(value) ? 'an array' : describeValue(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value);
    return keys.length === 0
      ? 'an empty plain object {}'
      : `a plain object with keys ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''} (commands are class instances: handlers are found by class)`;
  }
  return `${describeValue(value)} without a string msgId`;
}
