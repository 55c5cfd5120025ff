import type { Message } from '../../src/core/message';
import { ReactiveDomainError } from '../../src/core/reactive-domain.error';
import {
  AckCommand,
  Canceled,
  CommandCanceledError,
  CommandDispatcher,
  CommandError,
  CommandNotHandledError,
  type CommandResponse,
  CommandTimedOutError,
  DEFAULT_COMMAND_TIMEOUT_MS,
  ExistingHandlerError,
  Fail,
  InMemoryBus,
  InvalidTimeoutError,
  LateCommandResult,
  MessageBuilder,
  Success,
} from '../../src/messaging';
import {
  AccountOpened,
  CloseAccount,
  type Deferred,
  deferred,
  flush,
  OpenAccount,
  OpenPremiumAccount,
  trackUnhandledRejections,
} from './fixtures';

trackUnhandledRejections();

/** A dispatcher whose bus records every message, for ordering assertions. */
function setup(options: { defaultTimeoutMs?: number } = {}) {
  const dispatcher = new CommandDispatcher(options);
  const published: Message[] = [];
  dispatcher.bus.subscribeToAll((m) => void published.push(m));
  const kinds = (): string[] => published.map((m) => m.constructor.name);
  return { dispatcher, published, kinds };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('CommandDispatcher: handling', () => {
  it('publishes an AckCommand before the handler runs, then the Success response', async () => {
    const { dispatcher, published, kinds } = setup();
    let ackSeenByHandler = false;
    dispatcher.register(OpenAccount, () => {
      ackSeenByHandler = published.some((m) => m instanceof AckCommand);
      published.push(new AccountOpened('handler-ran'));
    });
    const command = new OpenAccount('a1');
    const success = await dispatcher.send(command);
    expect(ackSeenByHandler).toBe(true);
    expect(kinds()).toEqual(['AckCommand', 'AccountOpened', 'Success']);
    expect(success).toBeInstanceOf(Success);
    expect(success.kind).toBe('success');
    expect(published[2]).toBe(success); // resolved after the response reached the bus
  });

  it('correlates ack and response to the command (correlation carried, causation = command, commandId)', async () => {
    const { dispatcher, published } = setup();
    dispatcher.register(OpenAccount, () => {});
    const root = MessageBuilder.new(() => new CloseAccount('root'));
    const command = MessageBuilder.from(root).build(() => new OpenAccount('a1'));
    const response = await dispatcher.send(command);
    for (const notice of [published[0], response] as Array<AckCommand | Success>) {
      expect(notice.commandId).toBe(command.msgId);
      expect(notice.correlationId).toBe(root.msgId);
      expect(notice.causationId).toBe(command.msgId);
      expect(notice.command).toBe(command);
      expect(notice.msgId).not.toBe(command.msgId);
    }
  });

  it('an uncorrelated command (correlationId unset or empty) correlates its responses with its own msgId', async () => {
    const { dispatcher } = setup();
    dispatcher.register(OpenAccount, () => {});
    const plain = new OpenAccount('a');
    expect((await dispatcher.send(plain)).correlationId).toBe(plain.msgId);
    const empty = new OpenAccount('b');
    empty.correlationId = '';
    expect((await dispatcher.send(empty)).correlationId).toBe(empty.msgId);
  });

  it('a failing handler: send throws CommandError whose cause is the handler error; trySend returns Fail', async () => {
    const { dispatcher, kinds } = setup();
    const boom = new Error('insufficient funds');
    dispatcher.register(OpenAccount, async () => {
      await Promise.resolve();
      throw boom;
    });
    const command = new OpenAccount('a');
    const error = await rejectionOf(dispatcher.send(command));
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toBeInstanceOf(ReactiveDomainError);
    expect((error as CommandError).code).toBe('COMMAND_FAILED');
    expect((error as CommandError).cause).toBe(boom);
    expect((error as CommandError).command).toBe(command);
    expect((error as Error).message).toMatch(/OpenAccount.*insufficient funds/);

    const response = await dispatcher.trySend(new OpenAccount('b'));
    expect(response).toBeInstanceOf(Fail);
    expect(response).not.toBeInstanceOf(Canceled);
    expect((response as Fail).error).toBe(boom);
    expect(response.kind).toBe('fail');
    expect(kinds()).toEqual(['AckCommand', 'Fail', 'AckCommand', 'Fail']);
  });

  it('a handler that throws synchronously is a Fail too', async () => {
    const { dispatcher } = setup();
    const boom = new Error('sync');
    dispatcher.register(OpenAccount, () => {
      throw boom;
    });
    const response = await dispatcher.trySend(new OpenAccount('a'));
    expect((response as Fail).error).toBe(boom);
  });

  it('handlers match the exact command type only; a second handler for a type throws ExistingHandlerError', async () => {
    const { dispatcher } = setup();
    dispatcher.register(OpenAccount, () => {});
    expect(() => dispatcher.register(OpenAccount, () => {})).toThrow(ExistingHandlerError);
    expect(() => dispatcher.register(OpenAccount, () => {})).toThrow(/OpenAccount/);
    await expect(dispatcher.send(new OpenPremiumAccount('p'))).rejects.toBeInstanceOf(CommandNotHandledError);
    const premium: string[] = [];
    dispatcher.register(OpenPremiumAccount, (c) => void premium.push(c.accountId));
    await dispatcher.send(new OpenPremiumAccount('p'));
    expect(premium).toEqual(['p']);
    expect(dispatcher.hasHandler(OpenAccount)).toBe(true);
    expect(dispatcher.hasHandler(CloseAccount)).toBe(false);
  });

  it('an unhandled command fails at once with CommandNotHandledError, without an ack', async () => {
    const { dispatcher, kinds } = setup();
    const command = new CloseAccount('x');
    const error = await rejectionOf(dispatcher.send(command));
    expect(error).toBeInstanceOf(CommandNotHandledError);
    expect((error as CommandNotHandledError).code).toBe('COMMAND_NOT_HANDLED');
    expect((error as CommandNotHandledError).command).toBe(command);
    expect((error as Error).message).toContain(command.msgId);
    const response = await dispatcher.trySend(new CloseAccount('y'));
    expect((response as Fail).error).toBeInstanceOf(CommandNotHandledError);
    expect(kinds()).toEqual(['Fail', 'Fail']);
  });

  it('the handle returned by register unregisters the handler', async () => {
    const { dispatcher } = setup();
    const handle = dispatcher.register(OpenAccount, () => {});
    handle.unsubscribe();
    expect(handle.closed).toBe(true);
    await expect(dispatcher.send(new OpenAccount('a'))).rejects.toBeInstanceOf(CommandNotHandledError);
    dispatcher.register(OpenAccount, () => {}); // the type is free again
    handle.unsubscribe(); // a stale handle does not remove the new handler
    await expect(dispatcher.send(new OpenAccount('a'))).resolves.toBeInstanceOf(Success);
  });

  it('nested sends from inside a handler work and carry correlation when built from the outer command', async () => {
    const { dispatcher, kinds } = setup();
    let inner: CloseAccount | undefined;
    dispatcher.register(CloseAccount, async () => {
      await Promise.resolve();
    });
    dispatcher.register(OpenAccount, async (outer) => {
      inner = MessageBuilder.from(outer).build(() => new CloseAccount(outer.accountId));
      await dispatcher.send(inner);
    });
    const outer = MessageBuilder.new(() => new OpenAccount('a'));
    await dispatcher.send(outer);
    expect(inner?.correlationId).toBe(outer.msgId);
    expect(inner?.causationId).toBe(outer.msgId);
    expect(kinds()).toEqual(['AckCommand', 'AckCommand', 'Success', 'Success']);
  });

  it('a nested inner failure surfaces as the outer CommandError cause chain', async () => {
    const { dispatcher } = setup();
    dispatcher.register(CloseAccount, () => {
      throw new Error('inner');
    });
    dispatcher.register(OpenAccount, async () => {
      await dispatcher.send(new CloseAccount('x'));
    });
    const error = (await rejectionOf(dispatcher.send(new OpenAccount('a')))) as CommandError;
    expect(error).toBeInstanceOf(CommandError);
    expect(error.cause).toBeInstanceOf(CommandError);
    expect((error.cause as CommandError).command).toBeInstanceOf(CloseAccount);
  });

  it('a nested send of an unhandled command fails the outer command with CommandError (not NotHandled)', async () => {
    const { dispatcher } = setup();
    dispatcher.register(OpenAccount, async () => {
      await dispatcher.send(new CloseAccount('nobody handles me'));
    });
    const error = (await rejectionOf(dispatcher.send(new OpenAccount('a')))) as CommandError;
    expect(error).toBeInstanceOf(CommandError);
    expect(error.cause).toBeInstanceOf(CommandNotHandledError);
  });

  it('commands$ shows every command sent, handled or not', async () => {
    const { dispatcher } = setup();
    const sent: Message[] = [];
    dispatcher.commands$.subscribe((c) => sent.push(c));
    dispatcher.register(OpenAccount, () => {});
    const a = new OpenAccount('a');
    const b = new CloseAccount('b');
    await dispatcher.trySend(a);
    await dispatcher.trySend(b);
    expect(sent).toEqual([a, b]);
  });

  it('uses a given bus', async () => {
    const bus = new InMemoryBus();
    const dispatcher = new CommandDispatcher({ bus });
    expect(dispatcher.bus).toBe(bus);
    const seen: string[] = [];
    bus.subscribe(Success, (s) => void seen.push(s.commandId));
    dispatcher.register(OpenAccount, () => {});
    const command = new OpenAccount('a');
    await dispatcher.send(command);
    expect(seen).toEqual([command.msgId]);
  });

  it('a failing response observer does not change the command outcome (reported on the bus errors$)', async () => {
    const { dispatcher } = setup();
    const failures: unknown[] = [];
    dispatcher.bus.errors$.subscribe((f) => failures.push(f.error));
    dispatcher.bus.subscribe(Success, () => {
      throw new Error('observer broke');
    });
    dispatcher.register(OpenAccount, () => {});
    await expect(dispatcher.send(new OpenAccount('a'))).resolves.toBeInstanceOf(Success);
    expect(failures).toEqual([new Error('observer broke')]);
  });
});

describe('CommandDispatcher: timeouts', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('defaults to a generous timeout and validates it', () => {
    expect(DEFAULT_COMMAND_TIMEOUT_MS).toBe(30_000);
    expect(new CommandDispatcher().defaultTimeoutMs).toBe(30_000);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => new CommandDispatcher({ defaultTimeoutMs: bad })).toThrow(InvalidTimeoutError);
      const dispatcher = new CommandDispatcher();
      expect(() => {
        dispatcher.defaultTimeoutMs = bad;
      }).toThrow(InvalidTimeoutError);
      expect(dispatcher.defaultTimeoutMs).toBe(30_000);
    }
    try {
      new CommandDispatcher({ defaultTimeoutMs: -5 });
    } catch (error) {
      expect((error as InvalidTimeoutError).code).toBe('INVALID_TIMEOUT');
      expect((error as Error).message).toContain('-5');
    }
  });

  it('a non-positive per-send timeout is rejected before anything is sent', async () => {
    const { dispatcher, published } = setup();
    const handler = jest.fn();
    dispatcher.register(OpenAccount, handler);
    await expect(dispatcher.send(new OpenAccount('a'), { timeoutMs: 0 })).rejects.toBeInstanceOf(
      InvalidTimeoutError,
    );
    await expect(dispatcher.trySend(new OpenAccount('a'), { timeoutMs: -1 })).rejects.toBeInstanceOf(
      InvalidTimeoutError,
    );
    expect(handler).not.toHaveBeenCalled();
    expect(published).toEqual([]);
  });

  it('a slow command times out: the handler signal aborts, the caller gets CommandTimedOutError, then the late result is reported', async () => {
    const { dispatcher, kinds, published } = setup({ defaultTimeoutMs: 1_000 });
    const release = deferred();
    let signal: AbortSignal | undefined;
    dispatcher.register(OpenAccount, async (_c, context) => {
      signal = context.signal;
      await release.promise; // ignores the signal on purpose
    });
    const command = new OpenAccount('slow');
    const sending = rejectionOf(dispatcher.send(command));
    await jest.advanceTimersByTimeAsync(999);
    expect(signal?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const error = await sending;
    expect(error).toBeInstanceOf(CommandTimedOutError);
    expect((error as CommandTimedOutError).timeoutMs).toBe(1_000);
    expect((error as CommandTimedOutError).code).toBe('COMMAND_TIMED_OUT');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(kinds()).toEqual(['AckCommand', 'Canceled']);
    const canceled = published[1] as Canceled;
    expect(canceled.reason).toBe('timeout');
    expect(canceled.kind).toBe('canceled');
    expect(canceled).toBeInstanceOf(Fail);

    release.resolve();
    await flush();
    expect(kinds()).toEqual(['AckCommand', 'Canceled', 'LateCommandResult']);
    const late = published[2] as LateCommandResult;
    expect(late.response).toBeInstanceOf(Success);
    expect(late.canceled).toBe(canceled);
    expect(late.commandId).toBe(command.msgId);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a late failure after a timeout is reported with the handler error, and the caller stays Canceled', async () => {
    const { dispatcher, published } = setup({ defaultTimeoutMs: 50 });
    const release = deferred();
    dispatcher.register(OpenAccount, async () => {
      await release.promise;
      throw new Error('too late and broken');
    });
    const sending = dispatcher.trySend(new OpenAccount('a'));
    await jest.advanceTimersByTimeAsync(50);
    const response = await sending;
    expect(response).toBeInstanceOf(Canceled);
    release.resolve();
    await flush();
    const late = published.find((m): m is LateCommandResult => m instanceof LateCommandResult);
    expect((late?.response as Fail).error).toEqual(new Error('too late and broken'));
  });

  it('a handler that first reads its signal after the timeout finds it already aborted with the timeout error', async () => {
    const { dispatcher } = setup({ defaultTimeoutMs: 1_000 });
    const release = deferred();
    let context: { readonly signal: AbortSignal } | undefined;
    dispatcher.register(OpenAccount, async (_c, ctx) => {
      context = ctx; // the signal is not read yet
      await release.promise;
    });
    const sending = rejectionOf(dispatcher.send(new OpenAccount('late-reader')));
    await jest.advanceTimersByTimeAsync(1_000);
    const error = await sending;
    expect(context?.signal.aborted).toBe(true);
    expect(context?.signal.reason).toBe(error);
    release.resolve();
  });

  it('a handler that honours the abort (rejects with the signal reason) produces no late result', async () => {
    const { dispatcher, kinds } = setup({ defaultTimeoutMs: 50 });
    dispatcher.register(OpenAccount, (_c, { signal }) => {
      return new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    });
    const sending = dispatcher.trySend(new OpenAccount('a'));
    await jest.advanceTimersByTimeAsync(50);
    expect(await sending).toBeInstanceOf(Canceled);
    await flush();
    expect(kinds()).toEqual(['AckCommand', 'Canceled']);
  });

  it('a per-send timeout overrides the dispatcher default', async () => {
    const { dispatcher } = setup({ defaultTimeoutMs: 100 });
    const release = deferred();
    dispatcher.register(OpenAccount, (c) =>
      c.accountId === 'a' ? release.promise : new Promise<void>(() => {}),
    );
    let settled = false;
    const sending = dispatcher.send(new OpenAccount('a'), { timeoutMs: 10_000 }).finally(() => {
      settled = true;
    });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(settled).toBe(false);
    release.resolve();
    await expect(sending).resolves.toBeInstanceOf(Success);

    const shorter = rejectionOf(dispatcher.send(new OpenAccount('b'), { timeoutMs: 10 }));
    await jest.advanceTimersByTimeAsync(10);
    expect(await shorter).toBeInstanceOf(CommandTimedOutError);
  });

  it('a per-dispatcher default applies to later sends, including after it is changed', async () => {
    const { dispatcher } = setup({ defaultTimeoutMs: 200 });
    dispatcher.register(OpenAccount, () => new Promise<void>(() => {}));
    const first = rejectionOf(dispatcher.send(new OpenAccount('a')));
    await jest.advanceTimersByTimeAsync(200);
    expect(((await first) as CommandTimedOutError).timeoutMs).toBe(200);

    dispatcher.defaultTimeoutMs = 5_000;
    let settled = false;
    const second = rejectionOf(dispatcher.send(new OpenAccount('b'))).finally(() => {
      settled = true;
    });
    await jest.advanceTimersByTimeAsync(4_999);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(((await second) as CommandTimedOutError).timeoutMs).toBe(5_000);
  });

  it('a completed command leaves no timer and no abort listener behind', async () => {
    const { dispatcher } = setup();
    const controller = new AbortController();
    const added = jest.spyOn(controller.signal, 'addEventListener');
    const removed = jest.spyOn(controller.signal, 'removeEventListener');
    dispatcher.register(OpenAccount, () => {});
    await dispatcher.send(new OpenAccount('a'), { signal: controller.signal });
    expect(jest.getTimerCount()).toBe(0);
    expect(added).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]?.[1]);
  });
});

describe('CommandDispatcher: cancellation', () => {
  it('a pre-aborted command is never handled (no ack); send throws CommandCanceledError, Canceled is published', async () => {
    const { dispatcher, kinds } = setup();
    const handler = jest.fn();
    dispatcher.register(OpenAccount, handler);
    const controller = new AbortController();
    controller.abort('user left');
    const error = await rejectionOf(dispatcher.send(new OpenAccount('a'), { signal: controller.signal }));
    expect(error).toBeInstanceOf(CommandCanceledError);
    expect((error as CommandCanceledError).code).toBe('COMMAND_CANCELED');
    expect((error as CommandCanceledError).cause).toBe('user left');
    const response = await dispatcher.trySend(new OpenAccount('b'), { signal: controller.signal });
    expect(response).toBeInstanceOf(Canceled);
    expect((response as Canceled).reason).toBe('aborted');
    await flush();
    expect(handler).not.toHaveBeenCalled();
    expect(kinds()).toEqual(['Canceled', 'Canceled']);
  });

  it('a pre-aborted command with no handler is Canceled, not NotHandled', async () => {
    const { dispatcher } = setup();
    const response = await dispatcher.trySend(new CloseAccount('x'), { signal: AbortSignal.abort() });
    expect(response).toBeInstanceOf(Canceled);
  });

  it('aborting while the ack is being delivered means the handler never runs', async () => {
    const { dispatcher } = setup();
    const controller = new AbortController();
    dispatcher.bus.subscribe(AckCommand, () => controller.abort());
    const handler = jest.fn();
    dispatcher.register(OpenAccount, handler);
    const response = await dispatcher.trySend(new OpenAccount('a'), { signal: controller.signal });
    expect(response).toBeInstanceOf(Canceled);
    await flush();
    expect(handler).not.toHaveBeenCalled();
  });

  it('mid-handler cancellation aborts the handler signal and answers the caller at once', async () => {
    const { dispatcher, kinds } = setup();
    const started = deferred();
    const release = deferred();
    let handlerSignal: AbortSignal | undefined;
    dispatcher.register(OpenAccount, async (_c, { signal }) => {
      handlerSignal = signal;
      started.resolve();
      await release.promise;
    });
    const controller = new AbortController();
    const sending = rejectionOf(dispatcher.send(new OpenAccount('a'), { signal: controller.signal }));
    await started.promise;
    expect(handlerSignal?.aborted).toBe(false);
    controller.abort(new Error('stop'));
    const error = await sending; // the handler is still blocked: the caller did not wait for it
    expect(error).toBeInstanceOf(CommandCanceledError);
    expect(handlerSignal?.aborted).toBe(true);
    expect(handlerSignal?.reason).toBe(error);
    expect(kinds()).toEqual(['AckCommand', 'Canceled']);
    release.resolve();
    await flush();
    expect(kinds()).toEqual(['AckCommand', 'Canceled', 'LateCommandResult']);
  });

  it('no cross-cancellation: aborting one command does not affect another in flight', async () => {
    const { dispatcher } = setup();
    const gates = new Map<string, Deferred>([
      ['a', deferred()],
      ['b', deferred()],
    ]);
    const signals = new Map<string, AbortSignal>();
    dispatcher.register(OpenAccount, async (c, { signal }) => {
      signals.set(c.accountId, signal);
      await gates.get(c.accountId)?.promise;
    });
    const controllerA = new AbortController();
    const controllerB = new AbortController();
    const a = dispatcher.trySend(new OpenAccount('a'), { signal: controllerA.signal });
    const b = dispatcher.trySend(new OpenAccount('b'), { signal: controllerB.signal });
    await flush();
    controllerA.abort();
    expect(await a).toBeInstanceOf(Canceled);
    expect(signals.get('b')?.aborted).toBe(false);
    gates.get('b')?.resolve();
    expect(await b).toBeInstanceOf(Success);
  });

  it('nested cancellation: passing the handler signal to a nested send cancels the nested command too', async () => {
    const { dispatcher } = setup();
    const innerStarted = deferred();
    let innerSignal: AbortSignal | undefined;
    let innerOutcome: CommandResponse | undefined;
    dispatcher.register(CloseAccount, async (_c, { signal }) => {
      innerSignal = signal;
      innerStarted.resolve();
      await new Promise<void>(() => {});
    });
    dispatcher.register(OpenAccount, async (c, { signal }) => {
      innerOutcome = await dispatcher.trySend(new CloseAccount(c.accountId), { signal });
    });
    const controller = new AbortController();
    const outer = dispatcher.trySend(new OpenAccount('a'), { signal: controller.signal });
    await innerStarted.promise;
    controller.abort();
    expect(await outer).toBeInstanceOf(Canceled);
    await flush();
    expect(innerSignal?.aborted).toBe(true);
    expect(innerOutcome).toBeInstanceOf(Canceled);
  });

  it('aborting after completion changes nothing', async () => {
    const { dispatcher, kinds } = setup();
    dispatcher.register(OpenAccount, () => {});
    const controller = new AbortController();
    await dispatcher.send(new OpenAccount('a'), { signal: controller.signal });
    controller.abort();
    await flush();
    expect(kinds()).toEqual(['AckCommand', 'Success']);
  });
});
