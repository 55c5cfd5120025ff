import { AsyncLocalStorage } from 'node:async_hooks';
import { isCorrelatedMessage, type CorrelatedMessage } from '../core/message';
import { MessageNotCorrelatedError } from './message-builder.errors';

/** Created on first use: on Node 20, once any AsyncLocalStorage runs, every `await` in the process gets slower. */
let storage: AsyncLocalStorage<CorrelatedMessage> | undefined;

/**
 * An ambient correlation source (AsyncLocalStorage), so code deep inside the handling of a message can continue its
 * conversation without being handed the message: `MessageBuilder.fromScope()` builds the next message from it, and
 * `CorrelatedRepository` uses it when no source is passed.
 *
 * Opt in where a message's handling starts: `new CommandDispatcher({ correlationScope: true })` runs every command
 * handler inside a scope of its command, or call {@link CorrelationScope.run} yourself (e.g. in HTTP middleware with
 * a message built by `MessageBuilder.continueFrom`). Cost: nothing until the first `run`; after it, on Node 20, every
 * `await` in the process pays for async context tracking (measured ~75 ns -> ~200 ns per await), which is why it is
 * opt-in.
 *
 * @example
 * ```ts
 * const command = MessageBuilder.continueFrom({ correlationId: req.header('x-correlation-id')! })
 *   .build(() => new PlaceOrder(orderId));
 * await CorrelationScope.run(command, () => placeOrder(command)); // deep code: MessageBuilder.fromScope()
 * ```
 */
export class CorrelationScope {
  private constructor() {}

  /**
   * Runs `fn` with `source` as the ambient correlation source (nested runs shadow outer ones); returns what `fn`
   * returns. @throws MessageNotCorrelatedError when `source` is not a correlated message.
   */
  static run<T>(source: CorrelatedMessage, fn: () => T): T {
    if (!isCorrelatedMessage(source)) throw new MessageNotCorrelatedError(source, 'source');
    storage ??= new AsyncLocalStorage<CorrelatedMessage>();
    return storage.run(source, fn);
  }

  /** The ambient correlation source, or undefined outside every scope. */
  static current(): CorrelatedMessage | undefined {
    return storage?.getStore();
  }
}
