import { Query } from '../../src/core/message';
import {
  AckCommand,
  CommandDispatcher,
  CommandError,
  Fail,
  QueryBus,
  QueryFail,
  Success,
  type CommandMiddleware,
  type QueryMiddleware,
} from '../../src/messaging';
import { CloseAccount, OpenAccount, deferred, trackUnhandledRejections } from './fixtures';

trackUnhandledRejections();

class NotAllowedError extends Error {
  readonly code = 'NOT_ALLOWED';
}

class GetBalance extends Query<number> {
  constructor(readonly accountId: string) {
    super();
  }
}

describe('CommandDispatcher middleware', () => {
  it('runs middleware in registration order around the handler, after the ack, and sees the outcome', async () => {
    const dispatcher = new CommandDispatcher();
    const trail: string[] = [];
    dispatcher.bus.subscribe(AckCommand, () => void trail.push('ack'));
    dispatcher.register(OpenAccount, (command) => {
      trail.push(`handler ${command.accountId}`);
      return 42;
    });
    const seen: Array<{ result: unknown; kind: string }> = [];
    dispatcher.use(async (context, next) => {
      trail.push(`outer before ${context.kind} ${(context.message as OpenAccount).accountId}`);
      const outcome = await next();
      trail.push(`outer after ${outcome.kind}`);
      seen.push({ result: context.result, kind: outcome.kind });
      return outcome;
    });
    dispatcher.use(async (_context, next) => {
      trail.push('inner before');
      const outcome = await next();
      trail.push('inner after');
      return outcome;
    });

    const response = await dispatcher.send(new OpenAccount('a1'));

    expect(response).toBeInstanceOf(Success);
    expect(response.result).toBe(42); // the handler's typed result passes through the pipeline
    expect(trail).toEqual([
      'ack',
      'outer before command a1',
      'inner before',
      'handler a1',
      'inner after',
      'outer after success',
    ]);
    expect(seen).toEqual([{ result: 42, kind: 'success' }]);
  });

  it('short-circuits with a typed Fail: the handler never runs and the caller gets that error', async () => {
    const dispatcher = new CommandDispatcher();
    const handler = jest.fn();
    dispatcher.register(OpenAccount, handler);
    const later = jest.fn<ReturnType<CommandMiddleware>, Parameters<CommandMiddleware>>((_c, next) => next());
    const refusal = new NotAllowedError('user may not open accounts');
    dispatcher.use((context) => context.fail(refusal));
    dispatcher.use(later);

    const command = new OpenAccount('a1');
    const response = await dispatcher.trySend(command);

    expect(response).toBeInstanceOf(Fail);
    expect((response as Fail).error).toBe(refusal);
    expect(response.commandId).toBe(command.msgId);
    expect(handler).not.toHaveBeenCalled();
    expect(later).not.toHaveBeenCalled();
    await expect(dispatcher.send(new OpenAccount('a2'))).rejects.toMatchObject({
      constructor: CommandError,
      cause: refusal,
    });
  });

  it('the handler error reaches middleware as a Fail (next never rejects) with context.error set', async () => {
    const dispatcher = new CommandDispatcher();
    const boom = new Error('boom');
    dispatcher.register(OpenAccount, () => {
      throw boom;
    });
    const errors: unknown[] = [];
    dispatcher.use(async (context, next) => {
      const outcome = await next();
      errors.push(outcome instanceof Fail ? outcome.error : 'no fail', context.error);
      return outcome;
    });
    const response = await dispatcher.trySend(new OpenAccount('a1'));
    expect((response as Fail).error).toBe(boom);
    expect(errors).toEqual([boom, boom]);
  });

  it('a middleware that throws, rejects or returns something else than an outcome fails the command', async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(OpenAccount, () => undefined);
    const thrown = new Error('thrown');
    const sub = dispatcher.use(() => {
      throw thrown;
    });
    expect(((await dispatcher.trySend(new OpenAccount('a'))) as Fail).error).toBe(thrown);
    sub.unsubscribe();
    const sub2 = dispatcher.use(async () => Promise.reject(thrown));
    expect(((await dispatcher.trySend(new OpenAccount('a'))) as Fail).error).toBe(thrown);
    sub2.unsubscribe();
    dispatcher.use((() => 'oops') as unknown as CommandMiddleware);
    const response = await dispatcher.trySend(new OpenAccount('a'));
    expect((response as Fail).error).toBeInstanceOf(TypeError);
    expect(String((response as Fail).error)).toMatch(/middleware #0 returned a string/);
  });

  it('shares metadata along one dispatch only, and exposes the handler signal', async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(OpenAccount, () => undefined);
    dispatcher.register(CloseAccount, () => undefined);
    const seen: unknown[] = [];
    dispatcher.use((context, next) => {
      expect(context.metadata.size).toBe(0);
      context.metadata.set('user', 'ada');
      return next();
    });
    dispatcher.use((context, next) => {
      seen.push(context.metadata.get('user'), context.signal.aborted);
      return next();
    });
    await dispatcher.send(new OpenAccount('a'));
    await dispatcher.send(new CloseAccount('a'));
    expect(seen).toEqual(['ada', false, 'ada', false]);
  });

  it('the timeout covers middleware too: a stuck middleware yields Canceled and its signal aborts', async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(OpenAccount, () => undefined);
    const aborted = deferred<unknown>();
    dispatcher.use(
      (context) =>
        new Promise<Success | Fail>((resolve) =>
          context.signal.addEventListener('abort', () => {
            aborted.resolve(context.signal.reason);
            resolve(context.fail(context.signal.reason));
          }),
        ),
    );
    const response = await dispatcher.trySend(new OpenAccount('a'), { timeoutMs: 20 });
    expect(response.kind).toBe('canceled');
    await expect(aborted.promise).resolves.toMatchObject({ code: 'COMMAND_TIMED_OUT' });
  });

  it('use() returns a handle that removes the middleware; a dispatch in flight keeps its list', async () => {
    const dispatcher = new CommandDispatcher();
    const gate = deferred();
    dispatcher.register(OpenAccount, () => gate.promise);
    const calls: string[] = [];
    const handle = dispatcher.use((_c, next) => {
      calls.push('m');
      return next();
    });
    const inFlight = dispatcher.send(new OpenAccount('a'));
    await new Promise((resolve) => setImmediate(resolve));
    handle.unsubscribe();
    expect(handle.closed).toBe(true);
    gate.resolve();
    await inFlight;
    await dispatcher.send(new OpenAccount('b'));
    expect(calls).toEqual(['m']);
  });
});

describe('QueryBus middleware', () => {
  it('runs in registration order, sees the result, and may replace it', async () => {
    const queries = new QueryBus();
    queries.register(GetBalance, (q) => (q.accountId === 'a' ? 10 : 0));
    const trail: unknown[] = [];
    queries.use(async (context, next) => {
      trail.push(`outer ${context.kind}`);
      const result = await next();
      trail.push(`outer saw ${String(context.result)}`);
      return (result as number) * 2;
    });
    queries.use(async (_context, next) => {
      trail.push('inner');
      return next();
    });
    const balance: number = await queries.fetch(new GetBalance('a'));
    expect(balance).toBe(20);
    expect(trail).toEqual(['outer query', 'inner', 'outer saw 10']);
  });

  it('short-circuits with a typed QueryFail: fetch rejects with its error and the handler never runs', async () => {
    const queries = new QueryBus();
    const handler = jest.fn(() => 1);
    queries.register(GetBalance, handler);
    const refusal = new NotAllowedError('no');
    let failed: QueryFail | undefined;
    queries.use((context) => (failed = context.fail(refusal)));
    await expect(queries.fetch(new GetBalance('a'))).rejects.toBe(refusal);
    expect(handler).not.toHaveBeenCalled();
    expect(failed).toBeInstanceOf(QueryFail);
  });

  it('a handler error passes through middleware as a rejection, with context.error set', async () => {
    const queries = new QueryBus();
    const boom = new Error('boom');
    queries.register(GetBalance, () => {
      throw boom;
    });
    const seen: unknown[] = [];
    const middleware: QueryMiddleware = async (context, next) => {
      try {
        return await next();
      } finally {
        seen.push(context.error);
      }
    };
    queries.use(middleware);
    await expect(queries.fetch(new GetBalance('a'))).rejects.toBe(boom);
    expect(seen).toEqual([boom]);
  });
});
