import { isCorrelatedMessage, type CorrelatedMessage } from '../core/message';
import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { CorrelationScope } from './correlation-scope';
import {
  MessageAlreadyCorrelatedError,
  MessageNotCorrelatedError,
  NoCorrelationScopeError,
} from './message-builder.errors';

/** Ids of an incoming conversation, e.g. read from an HTTP header or a broker message's headers. */
export interface IncomingCorrelation {
  /** The conversation's correlation id (non-blank, at most 512 characters). */
  readonly correlationId: string;
  /** Id of the message that caused the one being built, when known (non-blank, at most 512 characters). */
  readonly causationId?: string;
}

const MAX_INCOMING_ID = 512;

/**
 * Builds correlated messages so that a conversation can be followed from its first command to its last event.
 *
 * - {@link MessageBuilder.new} starts a conversation: `correlationId` = the message's own `msgId`, no causation.
 * - {@link MessageBuilder.from}`(source).build(...)` continues one: `correlationId` = the source's correlation
 *   (or the source's `msgId` when that is empty — Reactive Domain left it empty), `causationId` = the source's `msgId`.
 * - {@link MessageBuilder.continueFrom}`({ correlationId, causationId? }).build(...)` continues a conversation that
 *   arrived from outside as plain ids (an `x-correlation-id` HTTP header, a broker message's headers).
 * - {@link MessageBuilder.fromScope}`().build(...)` continues the ambient conversation of a {@link CorrelationScope}.
 *
 * The factory must return a fresh correlated message with both ids unset; anything else throws
 * ({@link MessageNotCorrelatedError}, {@link MessageAlreadyCorrelatedError}), so ids are never silently overwritten.
 *
 * @example
 * ```ts
 * const open = MessageBuilder.new(() => new OpenAccount(accountId));
 * const opened = MessageBuilder.from(open).build(() => new AccountOpened(accountId));
 * // opened.correlationId === open.msgId, opened.causationId === open.msgId
 * ```
 */
export class MessageBuilder {
  private constructor(
    private readonly correlationId: string,
    private readonly causationId: string | undefined,
  ) {}

  /** Builds the first message of a new conversation (it correlates with itself and has no cause). */
  static new<T extends CorrelatedMessage>(factory: () => T): T {
    const message = created(factory);
    message.correlationId = message.msgId;
    return message;
  }

  /** Starts building a message caused by `source`; call {@link MessageBuilder.build} on the result. */
  static from(source: CorrelatedMessage): MessageBuilder {
    if (!isCorrelatedMessage(source)) throw new MessageNotCorrelatedError(source, 'source');
    // `||` on purpose: an empty-string correlation is as unset as `undefined`.
    return new MessageBuilder(source.correlationId || source.msgId, source.msgId);
  }

  /**
   * Starts building a message that continues a conversation known only by its ids (from an HTTP header or a
   * broker message): `correlationId` = the given one, `causationId` = the given one (unset when not given).
   * @throws InvalidArgumentError when an id is not a non-blank string of at most 512 characters.
   */
  static continueFrom(incoming: IncomingCorrelation): MessageBuilder {
    if (typeof incoming !== 'object' || incoming === null) {
      throw new InvalidArgumentError(
        `MessageBuilder.continueFrom expects { correlationId, causationId? }, got ${describeValue(incoming)}`,
      );
    }
    const correlationId = incomingId(incoming.correlationId, 'correlationId');
    const causationId =
      incoming.causationId === undefined ? undefined : incomingId(incoming.causationId, 'causationId');
    return new MessageBuilder(correlationId, causationId);
  }

  /**
   * Starts building a message caused by the ambient source of the current {@link CorrelationScope} (as
   * {@link MessageBuilder.from} does with a given source).
   * @throws NoCorrelationScopeError outside every scope.
   */
  static fromScope(): MessageBuilder {
    const source = CorrelationScope.current();
    if (source === undefined) throw new NoCorrelationScopeError('MessageBuilder.fromScope()');
    return MessageBuilder.from(source);
  }

  /** Builds the message returned by `factory`, stamped with this builder's correlation and causation ids. */
  build<T extends CorrelatedMessage>(factory: () => T): T {
    const message = created(factory);
    message.correlationId = this.correlationId;
    message.causationId = this.causationId;
    return message;
  }
}

function created<T extends CorrelatedMessage>(factory: () => T): T {
  const message: unknown = factory();
  if (!isCorrelatedMessage(message)) throw new MessageNotCorrelatedError(message, 'built message');
  if (message.correlationId || message.causationId) {
    throw new MessageAlreadyCorrelatedError((message as object).constructor, message.msgId);
  }
  return message as T;
}

function incomingId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_INCOMING_ID) {
    throw new InvalidArgumentError(
      `MessageBuilder.continueFrom: ${name} must be a non-blank string of at most ${MAX_INCOMING_ID} characters, ` +
        `got ${typeof value === 'string' && value.length > 40 ? `a string of ${value.length} characters` : describeValue(value)}`,
    );
  }
  return value;
}
