import { CommandDispatcher } from '../../src/messaging/command-dispatcher';
import { Canceled, Fail, Success } from '../../src/messaging/command-messages';
import { CommandTimedOutError } from '../../src/messaging/command.errors';
import { InMemoryBus } from '../../src/messaging/in-memory-bus';
import { MessageBuilder } from '../../src/messaging/message-builder';
import {
  type MessageTransport,
  RemoteCommandError,
  RemoteCommandNotHandledError,
  RemoteCommandSender,
  serveRemoteCommands,
  type RemoteCommandServer,
} from '../../src/transport';
import { waitUntil } from '../../src/testing/contracts';
import { AddItem, Checkout, codec } from './transport-fixtures';

/** Remote command behaviour, run on every transport (the in-memory one and both brokers). */
export function remoteCommandSuite(
  name: string,
  setup: () => Promise<{ create: () => Promise<MessageTransport>; cleanup: () => Promise<void> }>,
): void {
  describe(`remote commands over ${name}`, () => {
    const transports: MessageTransport[] = [];
    let create: () => Promise<MessageTransport>;
    let cleanup: () => Promise<void>;
    let server: RemoteCommandServer;
    let sender: RemoteCommandSender;
    const handled: AddItem[] = [];
    const started = new Set<string>();
    const abortedRemotely = new Set<string>();

    beforeAll(async () => {
      ({ create, cleanup } = await setup());
      const open = async () => {
        const t = await create();
        transports.push(t);
        return t;
      };
      const dispatcher = new CommandDispatcher({ bus: new InMemoryBus() });
      dispatcher.register(AddItem, async (command, { signal }) => {
        if (command.n < 0)
          throw Object.assign(new Error(`cannot add ${command.n} items`), { code: 'NEGATIVE' });
        if (command.n === 998) {
          started.add(command.msgId);
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 20_000);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              abortedRemotely.add(command.msgId);
              reject(signal.reason);
            });
          });
        }
        if (command.n === 999) {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 10_000);
            signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)));
          });
        }
        handled.push(command);
      });
      server = await serveRemoteCommands({ transport: await open(), dispatcher, types: [AddItem], codec });
      sender = new RemoteCommandSender({ transport: await open(), codec, defaultTimeoutMs: 10_000 });
      await sender.start();
    }, 30_000);

    afterAll(async () => {
      await sender?.stop();
      await server?.stop();
      for (const t of transports) await t.close();
      await cleanup?.();
    }, 30_000);

    it('runs the command in the other process and resolves Success, correlated', async () => {
      const command = MessageBuilder.new(() => new AddItem('c1', 3));
      const response = await sender.trySend(command);
      expect(response).toBeInstanceOf(Success);
      expect(response.commandId).toBe(command.msgId);
      expect(response.correlationId).toBe(command.correlationId);
      const remote = handled.find((c) => c.msgId === command.msgId) as AddItem;
      expect(remote).not.toBe(command);
      expect(remote.correlationId).toBe(command.correlationId);
      await expect(sender.send(MessageBuilder.new(() => new AddItem('c1', 4)))).resolves.toBeInstanceOf(
        Success,
      );
    });

    it("returns the remote handler's failure as Fail with a RemoteCommandError", async () => {
      const response = await sender.trySend(MessageBuilder.new(() => new AddItem('c1', -1)));
      expect(response).toBeInstanceOf(Fail);
      const error = (response as Fail).error as RemoteCommandError;
      expect(error).toBeInstanceOf(RemoteCommandError);
      expect(error.code).toBe('REMOTE_COMMAND_FAILED');
      expect(error.remoteCode).toBe('NEGATIVE');
      expect(error.remoteMessage).toBe('cannot add -1 items');
      await expect(sender.send(MessageBuilder.new(() => new AddItem('c1', -2)))).rejects.toBeInstanceOf(
        RemoteCommandError,
      );
    });

    it('cancels an acknowledged command at its timeout, in both processes', async () => {
      const response = await sender.trySend(
        MessageBuilder.new(() => new AddItem('c1', 999)),
        { timeoutMs: 1_500 },
      );
      expect(response).toBeInstanceOf(Canceled);
      expect((response as Canceled).reason).toBe('timeout');
      expect((response as Canceled).error).toBeInstanceOf(CommandTimedOutError);
    });

    it("aborts the remote handler when the caller aborts (long before the command's deadline)", async () => {
      const command = MessageBuilder.new(() => new AddItem('c1', 998));
      const controller = new AbortController();
      const pending = sender.trySend(command, { timeoutMs: 25_000, signal: controller.signal });
      await waitUntil(() => started.has(command.msgId), 10_000, 'the remote handler to start');
      controller.abort(new Error('user left'));
      const response = await pending;
      expect(response).toBeInstanceOf(Canceled);
      expect((response as Canceled).reason).toBe('aborted');
      await waitUntil(() => abortedRemotely.has(command.msgId), 10_000, "the remote handler's signal");
    });

    it('reports "no handler anywhere" as a typed error after the timeout', async () => {
      const response = await sender.trySend(
        MessageBuilder.new(() => new Checkout('c1')),
        { timeoutMs: 1_000 },
      );
      expect(response).toBeInstanceOf(Fail);
      expect(response).not.toBeInstanceOf(Canceled);
      const error = (response as Fail).error as RemoteCommandNotHandledError;
      expect(error).toBeInstanceOf(RemoteCommandNotHandledError);
      expect(error.code).toBe('REMOTE_COMMAND_NOT_HANDLED');
      expect(error.commandType).toBe('Cart.Checkout');
    });
  });
}
