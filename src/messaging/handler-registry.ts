import type { MessageType } from '../core/message';
import { ExistingHandlerError } from './command.errors';
import type { BusSubscription } from './in-memory-bus';

/**
 * One handler per exact message class, as commands and queries need. Internal to messaging.
 * @internal
 */
export class HandlerRegistry<H> {
  private readonly handlers = new Map<unknown, H>();

  constructor(private readonly kind: 'command' | 'query') {}

  /** Registers `handler` for exactly `type`; the handle unregisters it. @throws ExistingHandlerError */
  register(type: MessageType, handler: H): BusSubscription {
    if (this.handlers.has(type)) throw new ExistingHandlerError(type, this.kind);
    this.handlers.set(type, handler);
    const handlers = this.handlers;
    let closed = false;
    return {
      unsubscribe: () => {
        if (closed) return;
        closed = true;
        // Only our own registration: the type may have been re-registered after an earlier unsubscribe.
        if (handlers.get(type) === handler) handlers.delete(type);
      },
      get closed() {
        return closed;
      },
    };
  }

  has(type: MessageType): boolean {
    return this.handlers.has(type);
  }

  /** The handler of a message's exact class. */
  of(message: object): H | undefined {
    return this.handlers.get(message.constructor);
  }
}
