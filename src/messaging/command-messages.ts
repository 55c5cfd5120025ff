import { CorrelatedMessageBase, type Command } from '../core/message';

/**
 * Base of the notices the dispatcher publishes about a command. Each is correlated to the command:
 * `correlationId` = the command's correlation (or its `msgId` when that is empty), `causationId` = the command's
 * `msgId`, and `commandId` = the command's `msgId`.
 */
export abstract class CommandNotice extends CorrelatedMessageBase {
  /** `msgId` of the command this notice is about. */
  readonly commandId: string;

  constructor(
    /** The command this notice is about (kept in memory for observers; not needed to match, use `commandId`). */
    readonly command: Command,
  ) {
    super();
    this.commandId = command.msgId;
    this.correlationId = command.correlationId || command.msgId;
    this.causationId = command.msgId;
  }
}

/** Published on the bus when a command's handler is about to run (always before its response). */
export class AckCommand extends CommandNotice {}

/** Outcome of a command: {@link Success}, {@link Fail} or {@link Canceled} (a kind of `Fail`, as in Reactive Domain). */
export abstract class CommandResponse extends CommandNotice {
  /** Discriminant, so a `switch` can tell the outcomes apart without `instanceof`. */
  abstract readonly kind: 'success' | 'fail' | 'canceled';
}

const NO_POSITIONS: readonly bigint[] = Object.freeze([]);

/**
 * The handler completed. Carries what it resolved with (`result`, typed by the command's `Command<TResult>`) and
 * the global positions its repository saves appended on behalf of the command (read your own writes: wait for a
 * read model to reach `lastPosition`).
 */
export class Success<TResult = unknown> extends CommandResponse {
  readonly kind = 'success';
  /**
   * The highest of {@link positions}, or undefined when the handler appended nothing through a repository (with the
   * command as the aggregate's source).
   */
  readonly lastPosition: bigint | undefined;

  constructor(
    command: Command,
    /** What the handler returned or resolved with (undefined for handlers that return nothing). */
    readonly result: TResult = undefined as TResult,
    /**
     * Global positions of the last event of each append made on behalf of the command, in append order: every
     * repository save of an aggregate whose source is this command (see `recordWrittenPosition`).
     */
    readonly positions: readonly bigint[] = NO_POSITIONS,
  ) {
    super(command);
    let last: bigint | undefined;
    for (const position of positions) if (last === undefined || position > last) last = position;
    this.lastPosition = last;
  }
}

/**
 * The command was not carried out. `error` is what the handler threw, or a `CommandNotHandledError` when no handler
 * is registered; for {@link Canceled}, a `CommandTimedOutError` or `CommandCanceledError`.
 */
export class Fail extends CommandResponse {
  readonly kind: 'fail' | 'canceled' = 'fail';

  constructor(
    command: Command,
    /** Why the command was not carried out (see the class description for what it holds). */
    readonly error: unknown,
  ) {
    super(command);
  }
}

/**
 * The command timed out or the caller aborted it; the handler's `AbortSignal` fired (or the handler never ran).
 * A subclass of {@link Fail}, so "did not succeed" checks catch it too.
 */
export class Canceled extends Fail {
  override readonly kind = 'canceled';

  constructor(
    command: Command,
    error: unknown,
    /** Why: the dispatcher's timer (`'timeout'`) or the caller's signal (`'aborted'`). */
    readonly reason: 'timeout' | 'aborted',
  ) {
    super(command, error);
  }
}

/**
 * Published when a handler finished after its caller had already been answered with {@link Canceled}: the late
 * outcome is reported rather than lost, and never resolves the caller a second time. Not published when the handler
 * simply rejected with its signal's own abort reason (it honoured the cancellation).
 */
export class LateCommandResult extends CommandNotice {
  constructor(
    command: Command,
    /** What the handler eventually produced: {@link Success} or {@link Fail} (with the handler's error). */
    readonly response: Success | Fail,
    /** The cancellation the caller already received. */
    readonly canceled: Canceled,
  ) {
    super(command);
  }
}
