import type { TransportMessage } from './transport-message';

/** Default deadline of one publish, including the broker's confirmation. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;

/** Per-publish options. */
export interface PublishOptions {
  /** Deadline for the broker's confirmation; default {@link DEFAULT_PUBLISH_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Aborting it rejects the publish with `TransportAbortedError` (the message may still arrive). */
  readonly signal?: AbortSignal;
}

/**
 * Declares a consumer group: a named, durable queue of the messages published to some topics.
 *
 * - Every group receives every message published to its topics after it was declared (fan-out across groups).
 * - Within a group, the subscribed instances compete: each message is handled by one of them.
 * - Messages published while no instance is subscribed wait in the group (unless it is `ephemeral`).
 */
export interface GroupOptions {
  /** Group name: dot-separated tokens of letters, digits, `-` and `_` (e.g. `warehouse.orders`). */
  readonly group: string;
  /** Topics or patterns (`orders.>`) the group receives. */
  readonly topics: readonly string[];
  /**
   * A message whose handling failed this many times is moved to the group's dead-letter group (default 5). The
   * delivery that reaches the limit is dead-lettered instead of being retried.
   */
  readonly maxDeliveries?: number;
  /**
   * How long an instance may hold a delivery without settling it before the broker gives it to another instance
   * (default 30 s). RabbitMQ redelivers at once when the holder's connection closes; NATS waits for this.
   */
  readonly ackTimeoutMs?: number;
  /**
   * The group lives only while subscribed and starts empty (reply queues). Ephemeral groups have no dead-letter
   * group: a message that fails `maxDeliveries` times is dropped and reported through `onError`.
   */
  readonly ephemeral?: boolean;
}

/** Options of one subscribing instance. */
export interface TransportSubscribeOptions extends GroupOptions {
  /** At most this many unsettled deliveries at this instance at once (default 16). */
  readonly prefetch?: number;
  /** Called for failures that have no caller: a settle that failed, a handler error, a dropped connection. */
  readonly onError?: (error: unknown) => void;
}

/** One delivery of a message to a subscribing instance. */
export interface TransportDelivery {
  /** The message. */
  readonly message: TransportMessage;
  /** The topic it was published to. */
  readonly topic: string;
  /** 1 on the first delivery, then 2, 3, ... (as far as the broker counts). */
  readonly attempt: number;
  /** True once acked, nacked or dead-lettered. */
  readonly settled: boolean;
  /** Handled: the broker forgets the message for this group. */
  ack(): Promise<void>;
  /**
   * Not handled now: deliver it again (to any instance of the group), unless this was attempt
   * `maxDeliveries`, in which case it is dead-lettered with `reason`.
   */
  nack(reason?: unknown): Promise<void>;
  /** Moves the message to the group's dead-letter group at once, with `reason` in its headers. */
  deadLetter(reason: unknown): Promise<void>;
}

/**
 * Handles one delivery. Settle it explicitly with `ack`/`nack`/`deadLetter`; a handler that returns without
 * settling acks, and one that throws nacks (with its error as the reason).
 */
export type DeliveryHandler = (delivery: TransportDelivery) => void | Promise<void>;

/** A running subscription of one instance to a group. */
export interface TransportSubscription {
  /** The group subscribed to. */
  readonly group: string;
  /** True once closed. */
  readonly closed: boolean;
  /**
   * Stops taking deliveries, waits (up to the deadline) for running handlers, and hands unsettled deliveries back to
   * the broker for another instance. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The broker port: publish with confirmation, durable consumer groups with competing instances, explicit
 * settlement, dead letters. Every I/O has a deadline. Implementations: `InMemoryTransport` (tests),
 * `RabbitMqTransport` (`reactive-domain/rabbitmq`), `NatsTransport` (`reactive-domain/nats`); all pass
 * `transportContract` from `reactive-domain/testing`.
 */
export interface MessageTransport {
  /** Short name used in errors (`in-memory`, `rabbitmq`, `nats`). */
  readonly name: string;
  /**
   * Publishes `message` to `topic` and resolves once the broker confirmed it (stored durably for every group
   * declared on the topic).
   * @throws PublishNotConfirmedError, TransportTimeoutError, TransportAbortedError, TransportClosedError,
   *   InvalidTopicError
   */
  publish(topic: string, message: TransportMessage, options?: PublishOptions): Promise<void>;
  /** Declares a group (idempotent) so that messages published from now on are kept for it. */
  ensureGroup(options: GroupOptions): Promise<void>;
  /** Declares the group and starts handling its messages in this instance. */
  subscribe(options: TransportSubscribeOptions, handler: DeliveryHandler): Promise<TransportSubscription>;
  /**
   * Closes the connection. Unsettled deliveries are abandoned to the broker, as in a crash (another instance gets
   * them); pending publishes reject. Idempotent.
   */
  close(): Promise<void>;
}
