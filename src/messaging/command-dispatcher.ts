import { type Observable, Subject } from 'rxjs';
import type { Command, CommandResult, MessageType } from '../core/message';
import { AckCommand, Canceled, Fail, LateCommandResult, Success } from './command-messages';
import {
  CommandCanceledError,
  CommandError,
  CommandNotHandledError,
  CommandTimedOutError,
  InvalidTimeoutError,
  MAX_TIMEOUT_MS,
  NotACommandError,
} from './command.errors';
import { CorrelationScope } from './correlation-scope';
import { HandlerRegistry } from './handler-registry';
import { type BusSubscription, InMemoryBus } from './in-memory-bus';
import { type CommandMiddleware, MiddlewareList, runCommandPipeline } from './middleware';
import { collectWrittenPositions, takeWrittenPositions } from './written-positions';

/** Default command timeout: generous, because Reactive Domain's 100/500 ms defaults failed healthy commands. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** What a command handler receives besides the command. */
export interface CommandContext {
  /**
   * Aborted when the command times out or its caller aborts; its `reason` is the {@link CommandTimedOutError} or
   * {@link CommandCanceledError} the caller receives. Pass it on to I/O and nested sends so the work stops too.
   */
  readonly signal: AbortSignal;
}

/**
 * Handles one command type. Resolving means success: the value it returns or resolves with becomes the
 * {@link Success}'s `result` (typed by `Command<TResult>`; plain commands may return anything). Throwing or rejecting
 * means failure, and the error reaches the caller as the cause of a {@link CommandError} (or in a {@link Fail}).
 */
export type CommandHandler<C extends Command> = (
  command: C,
  context: CommandContext,
) => CommandResult<C> | PromiseLike<CommandResult<C>>;

/** Per-send options. */
export interface SendOptions {
  /** Overrides the dispatcher's {@link CommandDispatcher.defaultTimeoutMs} for this send. */
  readonly timeoutMs?: number;
  /** Aborting it cancels the command: the handler's signal fires and the caller gets `Canceled`. */
  readonly signal?: AbortSignal;
}

/** Options for {@link CommandDispatcher}. */
export interface CommandDispatcherOptions {
  /** The bus acks and responses are published on; a new {@link InMemoryBus} when omitted. */
  readonly bus?: InMemoryBus;
  /** Timeout of a send without its own `timeoutMs`; default {@link DEFAULT_COMMAND_TIMEOUT_MS}. */
  readonly defaultTimeoutMs?: number;
  /**
   * Run every handler inside a {@link CorrelationScope} of its command, so code deep in the handler can continue the
   * conversation without being handed the command (`MessageBuilder.fromScope()`, `CorrelatedRepository` without a
   * source). Default false: on Node 20 the first scope makes every `await` in the process slower (see
   * {@link CorrelationScope}).
   */
  readonly correlationScope?: boolean;
}

/**
 * Sends commands to their single handler, with correlated responses, timeouts and cancellation (Reactive Domain's
 * Dispatcher and CommandManager, made async).
 *
 * - One handler per command class, matched by exact class (a subclass needs its own handler).
 * - Commands are not published on the bus; they go straight to their handler. On the bus appear, in order, an
 *   {@link AckCommand} before the handler runs, then the `CommandResponse`: {@link Success}, {@link Fail}
 *   or {@link Canceled}. `send`/`trySend` resolve after the response has been delivered to the bus's handlers.
 * - The timeout runs from the send call (acknowledgement included) to the handler's completion. When it expires, or
 *   the caller's signal aborts, the handler's `AbortSignal` is aborted and the caller is answered with `Canceled`
 *   at once. A handler that still completes later is reported as a {@link LateCommandResult} on the bus.
 * - Nested sends from inside a handler work (nothing blocks); pass the handler's signal on to cancel them with it.
 * - The {@link Success} carries the handler's result and the positions its repository saves appended on behalf of
 *   the command (`positions`, `lastPosition`): wait for a read model to reach them to read your own writes.
 */
export class CommandDispatcher {
  /** The bus acks, responses and late results are published on. Publish your events here too. */
  readonly bus: InMemoryBus;
  private readonly handlers = new HandlerRegistry<CommandHandler<Command>>('command');
  private timeoutMs: number;
  private readonly sentSubject = new Subject<Command>();
  private readonly correlationScope: boolean;
  private readonly middleware = new MiddlewareList<CommandMiddleware>();

  /** Every command passed to `send`/`trySend`, as it is sent (handled or not). For tests and tracing. */
  readonly commands$: Observable<Command> = this.sentSubject.asObservable();

  constructor(options: CommandDispatcherOptions = {}) {
    this.bus = options.bus ?? new InMemoryBus('dispatcher');
    this.timeoutMs = validTimeout(options.defaultTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    this.correlationScope = options.correlationScope === true;
  }

  /** Timeout of sends without their own; changing it affects later sends. @throws InvalidTimeoutError */
  get defaultTimeoutMs(): number {
    return this.timeoutMs;
  }

  /** Sets the timeout, in milliseconds, of later sends without their own. @throws InvalidTimeoutError */
  set defaultTimeoutMs(value: number) {
    this.timeoutMs = validTimeout(value);
  }

  /**
   * Registers the handler for exactly `type`. The returned handle unregisters it.
   * @throws ExistingHandlerError when `type` already has a handler.
   */
  register<C extends Command>(type: MessageType<C>, handler: CommandHandler<C>): BusSubscription {
    return this.handlers.register(type, handler as CommandHandler<Command>);
  }

  /** True when exactly `type` has a handler. */
  hasHandler(type: MessageType<Command>): boolean {
    return this.handlers.has(type);
  }

  /**
   * Adds a middleware around every later command's handler, after those already added (the first added is the
   * outermost). It runs after the ack, inside the timeout. The returned handle removes it. With none added, sending
   * costs one length check more.
   */
  use(middleware: CommandMiddleware): BusSubscription {
    return this.middleware.add(middleware);
  }

  /**
   * Sends a command and resolves with its {@link Success} (the handler's typed `result`, the appended `positions`).
   * @throws CommandError when the handler failed (`cause` = the handler's error).
   * @throws CommandNotHandledError when no handler is registered for the command's class.
   * @throws CommandTimedOutError / CommandCanceledError when it timed out / the caller aborted it.
   * @throws InvalidTimeoutError for a non-positive or non-finite `timeoutMs`.
   * @throws NotACommandError when `command` is not a command (undefined, null, a plain object...).
   */
  async send<C extends Command>(command: C, options?: SendOptions): Promise<Success<CommandResult<C>>> {
    const response = await this.trySend(command, options);
    if (response instanceof Success) return response;
    throw errorOf(response);
  }

  /**
   * Sends a command and resolves with its response instead of throwing: {@link Success}, {@link Fail} (handler
   * error or no handler) or {@link Canceled} (timeout or caller abort). Rejects only for invalid arguments.
   * @throws InvalidTimeoutError for a non-positive or non-finite `timeoutMs`.
   * @throws NotACommandError when `command` is not a command (undefined, null, a plain object...).
   */
  async trySend<C extends Command>(
    command: C,
    options?: SendOptions,
  ): Promise<Success<CommandResult<C>> | Fail> {
    if (!isCommand(command)) throw new NotACommandError(command);
    const timeoutMs = options?.timeoutMs === undefined ? this.timeoutMs : validTimeout(options.timeoutMs);
    const signal = options?.signal;
    this.sentSubject.next(command);
    let response: Success<CommandResult<C>> | Fail;
    if (signal?.aborted) {
      response = new Canceled(command, new CommandCanceledError(command, signal.reason), 'aborted');
    } else {
      const handler = this.handlers.of(command);
      response = handler
        ? ((await this.run(command, handler, timeoutMs, signal)) as Success<CommandResult<C>> | Fail)
        : new Fail(command, new CommandNotHandledError(command));
    }
    await this.bus.publish(response);
    return response;
  }

  /** Acks, runs the handler and races it against the timeout and the caller's signal. Never rejects. */
  private run(
    command: Command,
    handler: CommandHandler<Command>,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<Success | Fail> {
    return new Promise<Success | Fail>((resolve) => {
      let canceled: Canceled | undefined;
      let settled = false;
      const context = new LazySignalContext();
      const settle = (): void => {
        settled = true;
        clearTimeout(timer);
        callerSignal?.removeEventListener('abort', onCallerAbort);
      };

      const cancel = (
        error: CommandTimedOutError | CommandCanceledError,
        reason: 'timeout' | 'aborted',
      ): void => {
        if (canceled !== undefined || settled) return;
        canceled = new Canceled(command, error, reason);
        settle();
        resolve(canceled);
        context.abort(error);
      };
      const onCallerAbort = (): void =>
        cancel(new CommandCanceledError(command, callerSignal?.reason), 'aborted');
      // unref: a pending command must not keep a process alive that has nothing else to do.
      const timer = setTimeout(
        () => cancel(new CommandTimedOutError(command, timeoutMs), 'timeout'),
        timeoutMs,
      );
      timer.unref();
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

      const completed = (response: Success | Fail): void => {
        if (!(response instanceof Success)) takeWrittenPositions(command); // ends the collection opened below
        if (canceled === undefined) {
          settle();
          resolve(response);
          return;
        }
        // The caller already has `Canceled`. A handler that honoured the abort is not news; anything else is.
        if (response instanceof Fail && isAbortOf(response.error, canceled.error)) return;
        void this.bus.publish(new LateCommandResult(command, response, canceled));
      };

      const runHandler = (): void => {
        if (canceled !== undefined) return; // canceled while acknowledging: the handler never runs
        collectWrittenPositions(command); // taken by the Success, or discarded by `completed`
        const middleware = this.middleware.list;
        if (middleware.length > 0) {
          const invoke = (): unknown =>
            this.correlationScope
              ? CorrelationScope.run(command, () => handler(command, context))
              : handler(command, context);
          const succeed = (result: unknown): Success =>
            new Success(command, result, takeWrittenPositions(command));
          void runCommandPipeline(middleware, command, () => context.signal, invoke, succeed).then(completed);
          return;
        }
        let returned: unknown;
        try {
          returned = this.correlationScope
            ? CorrelationScope.run(command, () => handler(command, context))
            : handler(command, context);
        } catch (error) {
          completed(new Fail(command, error));
          return;
        }
        Promise.resolve(returned).then(
          (result: unknown) => completed(new Success(command, result, takeWrittenPositions(command))),
          (error: unknown) => completed(new Fail(command, error)),
        );
      };
      // The ack is built only when someone listens; either way the handler starts after the current call stack.
      const acknowledged = this.bus.hasSubscriberFor(AckCommand)
        ? this.bus.publish(new AckCommand(command))
        : Promise.resolve();
      void acknowledged.then(runHandler);
    });
  }
}

/**
 * The {@link CommandContext} of one send. Its `AbortController` is created on the first read of `signal` (most
 * handlers never look, and a controller costs ~2 µs); already aborted when the command was canceled before. A class
 * rather than an object literal with a getter: V8 gives every such literal its own map, allocated in old space, which
 * kept each send's short-lived objects alive through minor GCs (measured: an empty send 3.4x slower).
 */
class LazySignalContext implements CommandContext {
  private controller: AbortController | undefined = undefined;
  private reason: unknown = undefined;
  private aborted = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the signal now if it was read, or marks it so it is born aborted. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

function validTimeout(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new InvalidTimeoutError(value);
  }
  return value;
}

function isAbortOf(error: unknown, abortReason: unknown): boolean {
  return error === abortReason || (error instanceof Error && error.name === 'AbortError');
}

/** A class instance with a string `msgId`: a plain object can never reach a handler (handlers are found by class). */
function isCommand(value: unknown): value is Command {
  if (typeof value !== 'object' || value === null) return false;
  if (typeof (value as { msgId?: unknown }).msgId !== 'string') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null;
}

/** The error `send` throws for a response that is not a success. */
function errorOf(response: Fail): Error {
  const error = response.error;
  if (response instanceof Canceled) return error as Error;
  if (error instanceof CommandNotHandledError && error.command === response.command) return error;
  return new CommandError(response.command, error);
}
