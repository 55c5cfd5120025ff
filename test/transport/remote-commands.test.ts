import { setLogger } from '../../src/core/logger';
import { CommandDispatcher } from '../../src/messaging/command-dispatcher';
import { recordWrittenPosition } from '../../src/messaging/written-positions';
import { Canceled, Fail, Success } from '../../src/messaging/command-messages';
import { InMemoryBus } from '../../src/messaging/in-memory-bus';
import { MessageBuilder } from '../../src/messaging/message-builder';
import {
  InMemoryBroker,
  InMemoryInboxStore,
  InMemoryTransport,
  RemoteCommandError,
  RemoteCommandNotHandledError,
  RemoteCommandSender,
  bridgeBusToTransport,
  bridgeTransportToBus,
  commandTopic,
  serveRemoteCommands,
} from '../../src/transport';
import { waitUntil } from '../../src/testing/contracts';
import { AddItem, Checkout, ItemAdded, codec } from './transport-fixtures';
import { remoteCommandSuite } from './remote-command-suite';

remoteCommandSuite('in-memory', async () => {
  const broker = new InMemoryBroker();
  return { create: async () => new InMemoryTransport({ broker }), cleanup: async () => undefined };
});

describe('bus bridges', () => {
  it('carries bus messages to another process and onto its bus with correlation and causation intact', async () => {
    const broker = new InMemoryBroker();
    const here = new InMemoryBus('here');
    const there = new InMemoryBus('there');
    const received: ItemAdded[] = [];
    there.subscribe(ItemAdded, (e) => void received.push(e));
    const inbound = await bridgeTransportToBus({
      transport: new InMemoryTransport({ broker }),
      bus: there,
      group: 'there',
      codec,
      inbox: new InMemoryInboxStore(),
    });
    const outbound = bridgeBusToTransport({
      bus: here,
      transport: new InMemoryTransport({ broker }),
      types: [ItemAdded],
      codec,
    });
    const cause = MessageBuilder.new(() => new AddItem('c1', 1));
    const event = MessageBuilder.from(cause).build(() => new ItemAdded('c1', 1));
    const result = await here.publish(event);
    expect(result.errors).toEqual([]);
    await waitUntil(() => received.length === 1, 10_000, 'the bridged event');
    const got = received[0] as ItemAdded;
    expect(got).toBeInstanceOf(ItemAdded);
    expect(got).not.toBe(event);
    expect({ ...got }).toEqual({ ...event });
    expect(got.correlationId).toBe(cause.msgId);
    expect(got.causationId).toBe(cause.msgId);
    await outbound.stop();
    await inbound.stop();
  });

  it('does not echo a message that came from the transport back to it', async () => {
    const broker = new InMemoryBroker();
    const transport = new InMemoryTransport({ broker });
    const bus = new InMemoryBus();
    const arrived = new WeakSet<object>();
    const inbound = await bridgeTransportToBus({ transport, bus, group: 'svc', codec, arrived });
    const outbound = bridgeBusToTransport({ bus, transport, types: [ItemAdded], codec, arrived });
    let seen = 0;
    bus.subscribe(ItemAdded, () => void seen++);
    await bus.publish(MessageBuilder.new(() => new ItemAdded('c', 1)));
    await waitUntil(() => seen === 2, 10_000, 'local and bridged delivery');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toBe(2);
    await outbound.stop();
    await inbound.stop();
  });
});

describe('remote commands, in memory only', () => {
  it('answers Canceled at once when the caller aborts', async () => {
    const broker = new InMemoryBroker();
    const dispatcher = new CommandDispatcher({ bus: new InMemoryBus() });
    dispatcher.register(Checkout, () => new Promise((resolve) => setTimeout(resolve, 500)));
    const server = await serveRemoteCommands({
      transport: new InMemoryTransport({ broker }),
      dispatcher,
      types: [Checkout],
      codec,
    });
    const sender = new RemoteCommandSender({ transport: new InMemoryTransport({ broker }), codec });
    await sender.start();
    const controller = new AbortController();
    const pending = sender.trySend(
      MessageBuilder.new(() => new Checkout('c')),
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('user left')), 20);
    const response = await pending;
    expect(response).toBeInstanceOf(Canceled);
    expect((response as Canceled).reason).toBe('aborted');
    await sender.stop();
    await server.stop();
    expect([Success, Fail, RemoteCommandError, RemoteCommandNotHandledError]).toHaveLength(4);
  });
});

describe('remote commands with an inbox', () => {
  it('runs a command delivered twice (same message id) once', async () => {
    const broker = new InMemoryBroker();
    const dispatcher = new CommandDispatcher({ bus: new InMemoryBus() });
    let runs = 0;
    dispatcher.register(Checkout, () => void runs++);
    const server = await serveRemoteCommands({
      transport: new InMemoryTransport({ broker }),
      dispatcher,
      types: [Checkout],
      codec,
      inbox: new InMemoryInboxStore(),
    });
    const publisher = new InMemoryTransport({ broker });
    const topic = commandTopic(codec.serializer.registry.nameOfType(Checkout)!);
    const message = codec.encode(MessageBuilder.new(() => new Checkout('c1')));
    await publisher.publish(topic, message);
    await publisher.publish(topic, message);
    await waitUntil(() => runs > 0, 10_000, 'the command to run');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runs).toBe(1);
    await server.stop();
  });
});

describe('remote Success: result and positions', () => {
  afterEach(() => setLogger(undefined));

  async function serve(handler: (command: Checkout) => unknown) {
    const broker = new InMemoryBroker();
    const dispatcher = new CommandDispatcher({ bus: new InMemoryBus() });
    dispatcher.register(Checkout, handler);
    const server = await serveRemoteCommands({
      transport: new InMemoryTransport({ broker }),
      dispatcher,
      types: [Checkout],
      codec,
    });
    const sender = new RemoteCommandSender({ transport: new InMemoryTransport({ broker }), codec });
    await sender.start();
    return {
      sender,
      stop: async () => {
        await sender.stop();
        await server.stop();
      },
    };
  }

  it("carries the handler's result (as JSON) and the positions appended on behalf of the command", async () => {
    const { sender, stop } = await serve((command) => {
      recordWrittenPosition(command, 128n);
      recordWrittenPosition(command, 2n ** 70n);
      return { orderId: 'o-1', lines: [1, 2] };
    });
    const success = await sender.send(MessageBuilder.new(() => new Checkout('c1')));
    expect(success.result).toEqual({ orderId: 'o-1', lines: [1, 2] });
    expect(success.positions).toEqual([128n, 2n ** 70n]);
    expect(success.lastPosition).toBe(2n ** 70n);
    await stop();
  });

  it('a result JSON cannot hold is left out and reported where it was produced, never failing the command', async () => {
    const warnings: string[] = [];
    const record = (_fields: unknown, message: string) => void warnings.push(message);
    setLogger({ warn: record, error: record, info: record, debug: record });
    const { sender, stop } = await serve(() => ({ total: 10n }));
    const success = await sender.send(MessageBuilder.new(() => new Checkout('c2')));
    expect(success).toBeInstanceOf(Success);
    expect(success.result).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/result cannot cross as JSON .*BigInt/)]);
    await stop();
  });
});
