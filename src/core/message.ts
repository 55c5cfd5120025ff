import { newId } from './id';

/** Anything sent over a bus or stored in a stream. */
export interface Message {
  /** Unique id of this message (a UUID). Stored events keep it as their event id. */
  readonly msgId: string;
}

/**
 * A message that belongs to a conversation: `correlationId` names the conversation (the id of the message that
 * started it), `causationId` the message that directly caused this one.
 */
export interface CorrelatedMessage extends Message {
  /** `msgId` of the message that started the conversation; undefined until a `MessageBuilder` or source sets it. */
  correlationId: string | undefined;
  /** `msgId` of the message that directly caused this one; undefined until set, and for a conversation's first message. */
  causationId: string | undefined;
}

/** Constructor of a message class (abstract classes included); used as the key for routing and dispatch. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MessageType<T = object> = abstract new (...args: any[]) => T;

/** Base class for plain (uncorrelated) messages. */
export abstract class MessageBase implements Message {
  msgId: string = newId();
}

/** Base class for correlated messages; ids are set by `MessageBuilder` or by an aggregate's source. */
export abstract class CorrelatedMessageBase implements CorrelatedMessage {
  msgId: string = newId();
  /** `msgId` of the message that started the conversation; undefined until a `MessageBuilder` or source sets it. */
  correlationId: string | undefined = undefined;
  /** `msgId` of the message that directly caused this one; undefined until set, and for a conversation's first message. */
  causationId: string | undefined = undefined;
}

/**
 * A request to change state; handled by exactly one handler. `TResult` is what its handler resolves with (carried
 * by the `Success` that `send` resolves to); commands that return nothing leave it out.
 *
 * @example
 * ```ts
 * class PlaceOrder extends Command<{ orderId: string }> { ... }
 * const { result } = await dispatcher.send(new PlaceOrder(...)); // result: { orderId: string }
 * ```
 */
export abstract class Command<TResult = unknown> extends CorrelatedMessageBase {
  /** Phantom member that carries the result type; never set at run time. */
  declare readonly __commandResult?: TResult;
}

/** The result type of a command class or instance (`unknown` for a plain `Command`). */
export type CommandResult<C> = C extends Command<infer R> ? R : unknown;

/** A fact that happened; raised by aggregates, stored in streams, published to any number of subscribers. */
export abstract class Event extends CorrelatedMessageBase {}

/** A request for data answered with a `TResult`; handled by exactly one handler. */
export abstract class Query<TResult> extends MessageBase {
  /** Phantom member that carries the result type; never set at run time. */
  declare readonly __resultType: TResult;
}

/** The result type of a query class or instance. */
export type QueryResult<Q> = Q extends Query<infer R> ? R : never;

/** True when `value` has the shape of a {@link CorrelatedMessage} (a string `msgId` and the two id fields). */
export function isCorrelatedMessage(value: unknown): value is CorrelatedMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Message).msgId === 'string' &&
    'correlationId' in value &&
    'causationId' in value
  );
}

/** True when `value` has a string `msgId`. */
export function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as Message).msgId === 'string';
}
