import { isCorrelatedMessage, type CorrelatedMessage } from '../core/message';
import { MessageAlreadyCorrelatedError, MessageNotCorrelatedError } from './message-builder.errors';

/**
 * Builds correlated messages so that a conversation can be followed from its first command to its last event.
 *
 * - {@link MessageBuilder.new} starts a conversation: `correlationId` = the message's own `msgId`, no causation.
 * - {@link MessageBuilder.from}`(source).build(...)` continues one: `correlationId` = the source's correlation
 *   (or the source's `msgId` when that is empty — Reactive Domain left it empty), `causationId` = the source's `msgId`.
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
    private readonly causationId: string,
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
