import { InvalidArgumentError, ReactiveDomainError } from '../core/reactive-domain.error';

/** The transport (or the subscription) was closed; nothing more can be published or received through it. */
export class TransportClosedError extends ReactiveDomainError {
  readonly code = 'TRANSPORT_CLOSED';
  constructor(
    /** The transport's name (e.g. `rabbitmq`, `nats`, `in-memory`). */
    readonly transport: string,
    /** What was attempted, e.g. `publish to orders.placed`. */
    readonly operation: string,
  ) {
    super(`Transport ${transport}: cannot ${operation}, the transport is closed`);
  }
}

/** A transport operation did not complete within its deadline; it may or may not have taken effect at the broker. */
export class TransportTimeoutError extends ReactiveDomainError {
  readonly code = 'TRANSPORT_TIMEOUT';
  constructor(
    /** The transport's name. */
    readonly transport: string,
    /** What timed out, e.g. `publish to orders.placed (message 0190…)`. */
    readonly operation: string,
    /** The deadline that elapsed, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`Transport ${transport}: ${operation} did not complete within ${timeoutMs} ms`);
  }
}

/**
 * The broker refused a publish or the connection failed before it confirmed it. The message may still have arrived
 * (publish again: receivers dedup by message id); `cause` is the broker's or the driver's error.
 */
export class PublishNotConfirmedError extends ReactiveDomainError {
  readonly code = 'PUBLISH_NOT_CONFIRMED';
  constructor(
    /** The transport's name. */
    readonly transport: string,
    /** The topic the message was published to. */
    readonly topic: string,
    /** The message id of the unconfirmed message. */
    readonly messageId: string,
    cause: unknown,
  ) {
    super(
      `Transport ${transport}: publish of message ${messageId} to ${JSON.stringify(topic)} was not confirmed: ` +
        `${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** The operation was aborted by the caller's `AbortSignal`; `cause` is the signal's reason. */
export class TransportAbortedError extends ReactiveDomainError {
  readonly code = 'TRANSPORT_ABORTED';
  constructor(
    /** The transport's name. */
    readonly transport: string,
    /** What was aborted. */
    readonly operation: string,
    reason?: unknown,
  ) {
    super(`Transport ${transport}: ${operation} was aborted`, { cause: reason });
  }
}

/** A topic, topic pattern or group name does not follow the naming rules (see `assertTopic`). */
export class InvalidTopicError extends InvalidArgumentError {
  override readonly code = 'INVALID_TOPIC';
}

/** A received message lacks a header every message must carry (message id, type), or carries one malformed. */
export class MalformedTransportMessageError extends ReactiveDomainError {
  readonly code = 'MALFORMED_TRANSPORT_MESSAGE';
}

/**
 * The optional client package a transport adapter needs is not installed. Same `code` as the EventStoreDB
 * adapter's error for the same situation, so one check covers every adapter.
 */
export class TransportPackageMissingError extends ReactiveDomainError {
  readonly code = 'CLIENT_PACKAGE_MISSING';
  constructor(
    /** The npm package to install, e.g. `amqplib`. */
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The optional peer dependency ${packageName} is not installed: add it to your dependencies to use this adapter`,
      options,
    );
  }
}

/** The forwarder stopped: a publish kept failing past its retry budget, or reading the store failed. */
export class ForwarderStoppedError extends ReactiveDomainError {
  readonly code = 'FORWARDER_STOPPED';
  constructor(
    /** The forwarder's name. */
    readonly forwarder: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Log forwarder ${JSON.stringify(forwarder)}: ${message}`, options);
  }
}

/**
 * A remote command was not acknowledged by any handler before its timeout: no process that handles its type
 * received it (none is running, or none registered the type). Unlike in-process sends this can only be known when
 * the timeout has elapsed.
 */
export class RemoteCommandNotHandledError extends ReactiveDomainError {
  readonly code = 'REMOTE_COMMAND_NOT_HANDLED';
  constructor(
    /** Registered type name of the command. */
    readonly commandType: string,
    /** `msgId` of the command. */
    readonly commandId: string,
    /** The timeout that elapsed without an acknowledgement, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(
      `Remote command ${commandType} (${commandId}) was not acknowledged by any handler within ${timeoutMs} ms: ` +
        'no process handling this command type received it',
    );
  }
}

/**
 * The remote handler of a command failed. The original error cannot cross the process boundary as an object, so
 * its class name, `code` and message travel instead.
 */
export class RemoteCommandError extends ReactiveDomainError {
  readonly code = 'REMOTE_COMMAND_FAILED';
  constructor(
    /** Registered type name of the command. */
    readonly commandType: string,
    /** `msgId` of the command. */
    readonly commandId: string,
    /** Class name of the remote error (e.g. `InsufficientFunds`). */
    readonly remoteName: string,
    /** `code` of the remote error, when it had one. */
    readonly remoteCode: string | undefined,
    /** Message of the remote error. */
    readonly remoteMessage: string,
  ) {
    super(
      `Remote command ${commandType} (${commandId}) failed: ${remoteName}` +
        `${remoteCode ? ` [${remoteCode}]` : ''}: ${remoteMessage}`,
    );
  }
}
