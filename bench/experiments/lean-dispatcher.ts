/**
 * Experiment behind the proposed `CommandDispatcher.run` change (src/messaging/command-dispatcher.ts): the same
 * semantics (ack before the handler, timeout, caller abort, late results), but
 * - the handler's AbortController is created only when the handler reads `context.signal` (a getter); a command
 *   canceled before that gets an already-aborted signal on first read;
 * - the AckCommand is built and published only when someone subscribed to it (`bus.hasSubscriberFor(AckCommand)`,
 *   a cached lookup); otherwise the handler starts at once, without the extra promise turn.
 * Applied by overriding the (TypeScript-private) `run` method in a subclass.
 */
import {
  AckCommand,
  Canceled,
  CommandCanceledError,
  CommandDispatcher,
  CommandTimedOutError,
  Fail,
  LateCommandResult,
  Success,
  type CommandContext,
  type CommandHandler,
  type CommandResponse,
} from '../../dist/messaging';
import type { Command } from '../../dist/core';

type Run = (command: Command, handler: CommandHandler<Command>, timeoutMs: number, callerSignal: AbortSignal | undefined) => Promise<CommandResponse>;

export class LeanDispatcher extends CommandDispatcher {}

/** The handler's context: the AbortController is made on the first read of `signal`. */
class LazyContext implements CommandContext {
  controller: AbortController | undefined = undefined;
  abortReason: unknown = undefined;
  aborted = false;
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  abort(reason: unknown): void {
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

const lean: Run = function (this: CommandDispatcher, command, handler, timeoutMs, callerSignal) {
  return new Promise<CommandResponse>((resolve) => {
    const context = new LazyContext();
    let canceled: Canceled | undefined;
    let settled = false;
    const settle = (): void => {
      settled = true;
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    };
    const cancel = (error: CommandTimedOutError | CommandCanceledError, reason: 'timeout' | 'aborted'): void => {
      if (canceled !== undefined || settled) return;
      canceled = new Canceled(command, error, reason);
      settle();
      resolve(canceled);
      context.abort(error);
    };
    const onCallerAbort = (): void => cancel(new CommandCanceledError(command, callerSignal?.reason), 'aborted');
    const timer = setTimeout(() => cancel(new CommandTimedOutError(command, timeoutMs), 'timeout'), timeoutMs);
    timer.unref();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const completed = (response: Success | Fail): void => {
      if (canceled === undefined) {
        settle();
        resolve(response);
        return;
      }
      if (response instanceof Fail && (response.error === context.abortReason || (response.error instanceof Error && response.error.name === 'AbortError'))) return;
      void this.bus.publish(new LateCommandResult(command, response, canceled));
    };
    const start = (): void => {
      if (canceled !== undefined) return;
      let returned: unknown;
      try {
        returned = handler(command, context);
      } catch (error) {
        completed(new Fail(command, error));
        return;
      }
      Promise.resolve(returned).then(
        () => completed(new Success(command)),
        (error: unknown) => completed(new Fail(command, error)),
      );
    };
    if (this.bus.hasSubscriberFor(AckCommand)) void this.bus.publish(new AckCommand(command)).then(start);
    else start();
  });
};
(LeanDispatcher.prototype as unknown as { run: Run }).run = lean;
