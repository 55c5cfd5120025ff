import { Command } from '../../src/core/message';
import { ReactiveDomainError } from '../../src/core/reactive-domain.error';
import {
  CommandDispatcher,
  CorrelationScope,
  Fail,
  MessageBuilder,
  NoCorrelationScopeError,
  NotACommandError,
  Success,
  collectWrittenPositions,
  recordWrittenPosition,
  takeWrittenPositions,
} from '../../src/messaging';

class PlaceOrder extends Command<{ orderId: string }> {
  constructor(readonly sku: string) {
    super();
  }
}
class Ping extends Command {}
class Reserve extends Command {}

describe('send() with something that is not a command', () => {
  it.each([
    ['undefined', undefined, /got undefined/],
    ['null', null, /got null/],
    ['an empty plain object', {}, /got an empty plain object \{\}/],
    ['a plain object with a msgId', { msgId: 'x', sku: 'a' }, /a plain object with keys msgId, sku/],
    ['a string', 'PlaceOrder', /got "PlaceOrder"/],
    ['a class instance without msgId', new Date(0), /\[object Date\] without a string msgId/],
  ])('%s -> NotACommandError naming it (send and trySend)', async (_label, value, message) => {
    const dispatcher = new CommandDispatcher();
    const sent: unknown[] = [];
    dispatcher.commands$.subscribe((c) => sent.push(c));
    for (const call of [() => dispatcher.send(value as never), () => dispatcher.trySend(value as never)]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotACommandError);
      expect((error as NotACommandError).code).toBe('NOT_A_COMMAND');
      expect((error as NotACommandError).value).toBe(value);
      expect((error as Error).message).toMatch(message);
    }
    expect(sent).toEqual([]);
  });
});

describe('typed command results', () => {
  it("Success carries the handler's result, typed by Command<TResult>", async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(PlaceOrder, async (command) => ({ orderId: `order-for-${command.sku}` }));
    const success = await dispatcher.send(new PlaceOrder('sku-1'));
    const orderId: string = success.result.orderId; // compile-time check of the type
    expect(orderId).toBe('order-for-sku-1');
    const response = await dispatcher.trySend(new PlaceOrder('sku-2'));
    expect(response instanceof Success && response.result).toEqual({ orderId: 'order-for-sku-2' });
  });

  it('a handler whose result does not fit Command<TResult> does not compile', () => {
    const dispatcher = new CommandDispatcher();
    // @ts-expect-error PlaceOrder handlers must resolve { orderId: string }
    dispatcher.register(PlaceOrder, async () => 'not an order id');
    expect(dispatcher.hasHandler(PlaceOrder)).toBe(true);
  });

  it('plain commands keep working: handlers may return anything or nothing', async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(Ping, () => 42);
    dispatcher.register(Reserve, () => undefined);
    expect((await dispatcher.send(new Ping())).result).toBe(42);
    const success = await dispatcher.send(new Reserve());
    expect(success.result).toBeUndefined();
    expect(success.positions).toEqual([]);
    expect(success.lastPosition).toBeUndefined();
  });
});

describe('read your own writes: positions on Success', () => {
  it('carries the positions recorded for the command while its handler ran', async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(Ping, async (command) => {
      recordWrittenPosition(command, 12n);
      await Promise.resolve();
      recordWrittenPosition(command, 40n);
    });
    const success = await dispatcher.send(new Ping());
    expect(success.positions).toEqual([12n, 40n]);
    expect(success.lastPosition).toBe(40n);
  });
});

describe('ambient correlation', () => {
  it('MessageBuilder.continueFrom continues a correlation known only by ids', () => {
    const command = MessageBuilder.continueFrom({
      correlationId: 'corr-from-header',
      causationId: 'msg-9',
    }).build(() => new Ping());
    expect(command.correlationId).toBe('corr-from-header');
    expect(command.causationId).toBe('msg-9');
    const noCause = MessageBuilder.continueFrom({ correlationId: 'c' }).build(() => new Ping());
    expect(noCause.causationId).toBeUndefined();
    expect(() => MessageBuilder.continueFrom({ correlationId: '  ' })).toThrow(ReactiveDomainError);
    expect(() => MessageBuilder.continueFrom({ correlationId: 'x'.repeat(513) })).toThrow(/at most 512/);
    expect(() => MessageBuilder.continueFrom(null as never)).toThrow(/got null/);
  });

  it('a dispatcher with correlationScope runs handlers in a scope of their command; fromScope continues it', async () => {
    const dispatcher = new CommandDispatcher({ correlationScope: true });
    let nested: Reserve | undefined;
    dispatcher.register(Ping, async () => {
      await Promise.resolve();
      nested = deep();
      await dispatcher.send(nested);
    });
    dispatcher.register(Reserve, () => {
      expect(CorrelationScope.current()).toBe(nested);
    });
    const ping = MessageBuilder.new(() => new Ping());
    await dispatcher.send(ping);
    expect(nested!.correlationId).toBe(ping.msgId);
    expect(nested!.causationId).toBe(ping.msgId);
    expect(CorrelationScope.current()).toBeUndefined();
    function deep(): Reserve {
      return MessageBuilder.fromScope().build(() => new Reserve());
    }
  });

  it('fromScope outside every scope is a typed error', () => {
    expect(() => MessageBuilder.fromScope()).toThrow(NoCorrelationScopeError);
  });

  it('without the option, handlers run outside any scope', async () => {
    const dispatcher = new CommandDispatcher();
    let seen: unknown = 'not run';
    dispatcher.register(Ping, () => {
      seen = CorrelationScope.current();
    });
    await dispatcher.send(new Ping());
    expect(seen).toBeUndefined();
  });
});

describe('ReactiveDomainError in matchers', () => {
  it('is accepted by toThrow (type-checked) and matches every library error', async () => {
    expect(() => MessageBuilder.fromScope()).toThrow(ReactiveDomainError);
    await expect(new CommandDispatcher().send(null as never)).rejects.toThrow(ReactiveDomainError);
    expect(new NoCorrelationScopeError('x')).toBeInstanceOf(ReactiveDomainError);
    expect(new NoCorrelationScopeError('x').name).toBe('NoCorrelationScopeError');
  });
});

describe('written positions are collected only while a command runs', () => {
  it('a failed command discards what its handler recorded', async () => {
    const dispatcher = new CommandDispatcher();
    const command = new Ping();
    dispatcher.register(Ping, (sent) => {
      recordWrittenPosition(sent, 12n);
      throw new Error('refused');
    });
    const response = await dispatcher.trySend(command);
    expect(response).toBeInstanceOf(Fail);
    expect(takeWrittenPositions(command)).toEqual([]);
  });

  it('a position recorded for a message nobody collects for is not kept', () => {
    const command = new Ping();
    recordWrittenPosition(command, 12n);
    expect(takeWrittenPositions(command)).toEqual([]);
    collectWrittenPositions(command);
    recordWrittenPosition(command, 40n);
    expect(takeWrittenPositions(command)).toEqual([40n]);
  });
});
