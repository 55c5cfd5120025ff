import { firstValueFrom, map, of, toArray } from 'rxjs';
import type { Command, Message } from '../../src/core/message';
import {
  buildFrom,
  Canceled,
  CommandDispatcher,
  type CommandResponse,
  Fail,
  MessageBuilder,
  ofType,
  runSaga,
  type SagaFailure,
  sendCommands,
  Success,
} from '../../src/messaging';
import {
  AccountClosed,
  AccountEvent,
  AccountOpened,
  CloseAccount,
  flush,
  OpenAccount,
  Ping,
  PremiumAccountOpened,
  trackUnhandledRejections,
} from './fixtures';

trackUnhandledRejections();

describe('ofType', () => {
  it('keeps instances of any listed type, subclasses included', async () => {
    const input: Message[] = [
      new Ping(1),
      new AccountOpened('a'),
      new PremiumAccountOpened('b'),
      new AccountClosed('c'),
    ];
    const opened = await firstValueFrom(of(...input).pipe(ofType(AccountOpened), toArray()));
    expect(opened.map((e) => e.accountId)).toEqual(['a', 'b']);
    const either = await firstValueFrom(of(...input).pipe(ofType(AccountOpened, AccountClosed), toArray()));
    // The element type is the union of the listed classes.
    const ids: string[] = either.map((e: AccountOpened | AccountClosed) => e.accountId);
    expect(ids).toEqual(['a', 'b', 'c']);
    const base = await firstValueFrom(of(...input).pipe(ofType(AccountEvent), toArray()));
    expect(base).toHaveLength(3);
  });
});

describe('buildFrom', () => {
  it('builds commands correlated to their trigger; arrays fan out, undefined skips', async () => {
    const root = MessageBuilder.new(() => new OpenAccount('a'));
    const opened = MessageBuilder.from(root).build(() => new AccountOpened('a'));
    const closed = MessageBuilder.from(root).build(() => new AccountClosed('b'));
    const out = await firstValueFrom(
      of<AccountEvent[]>(opened, closed, new PremiumAccountOpened('skip')).pipe(
        buildFrom((e) => {
          if (e instanceof PremiumAccountOpened) return undefined;
          if (e instanceof AccountOpened) return new CloseAccount(e.accountId);
          return [new OpenAccount(e.accountId), new OpenAccount(`${e.accountId}2`)];
        }),
        toArray(),
      ),
    );
    expect(out.map((c) => c.constructor.name)).toEqual(['CloseAccount', 'OpenAccount', 'OpenAccount']);
    expect(out.map((c) => c.correlationId)).toEqual([root.msgId, root.msgId, root.msgId]);
    expect(out.map((c) => c.causationId)).toEqual([opened.msgId, closed.msgId, closed.msgId]);
  });

  it('a throwing factory is reported and the stream goes on', async () => {
    const failures: SagaFailure[] = [];
    const bad = new AccountOpened('bad');
    const out = await firstValueFrom(
      of(bad, new AccountOpened('good')).pipe(
        buildFrom(
          (e) => {
            if (e.accountId === 'bad') throw new Error('cannot map');
            return new CloseAccount(e.accountId);
          },
          { onError: (f) => failures.push(f) },
        ),
        toArray(),
      ),
    );
    expect(out.map((c) => c.accountId)).toEqual(['good']);
    expect(failures).toEqual([{ stage: 'build', message: bad, error: new Error('cannot map') }]);
  });
});

describe('sendCommands', () => {
  it('sends each command and emits its response; failures are reported without ending the stream', async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(OpenAccount, (c) => {
      if (c.accountId === 'bad') throw new Error('rejected');
    });
    const failures: SagaFailure[] = [];
    const commands = [
      new OpenAccount('a'),
      new OpenAccount('bad'),
      new CloseAccount('unhandled'),
      new OpenAccount('b'),
    ];
    const responses = await firstValueFrom(
      of<Command[]>(...commands).pipe(
        sendCommands(dispatcher, { onError: (f) => failures.push(f) }),
        toArray(),
      ),
    );
    expect(responses.map((r) => r.kind)).toEqual(['success', 'fail', 'fail', 'success']);
    expect(failures.map((f) => [f.stage, f.message])).toEqual([
      ['send', commands[1]],
      ['send', commands[2]],
    ]);
    expect(failures[0]?.response).toBeInstanceOf(Fail);
    expect(failures[0]?.error).toEqual(new Error('rejected'));
  });

  it('sends one command at a time by default; with concurrency > 1 they overlap', async () => {
    const dispatcher = new CommandDispatcher();
    let running = 0;
    let maxRunning = 0;
    dispatcher.register(OpenAccount, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await flush();
      running--;
    });
    const three = () => [new OpenAccount('a'), new OpenAccount('b'), new OpenAccount('c')];
    await firstValueFrom(of(...three()).pipe(sendCommands(dispatcher), toArray()));
    expect(maxRunning).toBe(1);
    await firstValueFrom(of(...three()).pipe(sendCommands(dispatcher, { concurrency: 3 }), toArray()));
    expect(maxRunning).toBe(3);
  });

  it('applies its timeout to each send', async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(OpenAccount, () => new Promise<void>(() => {}));
    const failures: SagaFailure[] = [];
    const responses = await firstValueFrom(
      of(new OpenAccount('a')).pipe(
        sendCommands(dispatcher, { timeoutMs: 5, onError: (f) => failures.push(f) }),
        toArray(),
      ),
    );
    expect(responses[0]).toBeInstanceOf(Canceled);
    expect(failures[0]?.response).toBe(responses[0]);
  });

  it('an invalid option rejection is reported, not thrown into the stream', async () => {
    const dispatcher = new CommandDispatcher();
    const failures: SagaFailure[] = [];
    const responses = await firstValueFrom(
      of(new OpenAccount('a')).pipe(
        sendCommands(dispatcher, { timeoutMs: -1, onError: (f) => failures.push(f) }),
        toArray(),
      ),
    );
    expect(responses).toEqual([]);
    expect(failures[0]?.stage).toBe('send');
  });

  it('without onError, failures become process warnings', async () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const dispatcher = new CommandDispatcher();
      await firstValueFrom(of(new CloseAccount('x')).pipe(sendCommands(dispatcher), toArray()));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/saga: send failed.*CloseAccount/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('runSaga', () => {
  it('reacts to bus events by sending correlated commands', async () => {
    const dispatcher = new CommandDispatcher();
    const handled: CloseAccount[] = [];
    dispatcher.register(CloseAccount, (c) => void handled.push(c));
    const saga = runSaga(dispatcher, (messages$) =>
      messages$.pipe(
        ofType(AccountOpened),
        buildFrom((e) => new CloseAccount(e.accountId)),
      ),
    );
    const root = MessageBuilder.new(() => new OpenAccount('a'));
    const event = MessageBuilder.from(root).build(() => new AccountOpened('a'));
    await dispatcher.bus.publish(event);
    await flush();
    expect(handled).toHaveLength(1);
    expect(handled[0]?.correlationId).toBe(root.msgId);
    expect(handled[0]?.causationId).toBe(event.msgId);
    saga.unsubscribe();
    await dispatcher.bus.publish(new AccountOpened('b'));
    await flush();
    expect(handled).toHaveLength(1);
    expect(dispatcher.bus.hasSubscriberFor(AccountOpened)).toBe(false);
  });

  it('keeps running after its own pipeline throws (nestjs/cqrs#1401)', async () => {
    const dispatcher = new CommandDispatcher();
    const handled: string[] = [];
    dispatcher.register(CloseAccount, (c) => void handled.push(c.accountId));
    const failures: SagaFailure[] = [];
    const saga = runSaga(
      dispatcher,
      (messages$) =>
        messages$.pipe(
          ofType(AccountOpened),
          map((e) => {
            if (e.accountId === 'poison') throw new Error('saga bug');
            return MessageBuilder.from(e).build(() => new CloseAccount(e.accountId));
          }),
        ),
      { onError: (f) => failures.push(f) },
    );
    for (const id of ['a', 'poison', 'b', 'poison', 'c']) await dispatcher.bus.publish(new AccountOpened(id));
    await flush();
    expect(handled).toEqual(['a', 'b', 'c']);
    expect(failures.map((f) => [f.stage, (f.error as Error).message])).toEqual([
      ['saga', 'saga bug'],
      ['saga', 'saga bug'],
    ]);
    saga.unsubscribe();
  });

  it('reports and ends a saga that fails before receiving anything (no restart loop)', async () => {
    const dispatcher = new CommandDispatcher();
    const failures: SagaFailure[] = [];
    let starts = 0;
    const saga = runSaga(
      dispatcher,
      () => {
        starts++;
        throw new Error('broken at start');
      },
      { onError: (f) => failures.push(f) },
    );
    await flush();
    expect(starts).toBe(1);
    expect(failures).toEqual([{ stage: 'saga', message: undefined, error: new Error('broken at start') }]);
    expect(saga.closed).toBe(true);
  });

  it('emits send failures on the error channel and keeps reacting', async () => {
    const dispatcher = new CommandDispatcher();
    const outcomes: CommandResponse[] = [];
    dispatcher.bus.subscribe(Success, (r) => void outcomes.push(r));
    dispatcher.register(CloseAccount, (c) => {
      if (c.accountId === 'x') throw new Error('nope');
    });
    const failures: SagaFailure[] = [];
    const saga = runSaga(
      dispatcher,
      (messages$) =>
        messages$.pipe(
          ofType(AccountOpened),
          buildFrom((e) => new CloseAccount(e.accountId)),
        ),
      { onError: (f) => failures.push(f) },
    );
    await dispatcher.bus.publish(new AccountOpened('x'));
    await dispatcher.bus.publish(new AccountOpened('y'));
    await flush();
    expect(failures.map((f) => f.stage)).toEqual(['send']);
    expect(outcomes).toHaveLength(1);
    saga.unsubscribe();
  });
});
