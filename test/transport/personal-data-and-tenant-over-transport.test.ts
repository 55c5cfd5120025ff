/**
 * The log forwarder publishes what is stored: personal fields leave the process as ciphertext (and stay unreadable
 * to a receiver once the subject is forgotten), and the tenant stamped by a tenant-isolated store travels in the
 * transport's tenant header.
 */
import { Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import { REDACTED, type Redacted } from '../../src/core/redacted';
import { InMemoryCheckpointStore } from '../../src/foundation/subscriptions/in-memory-checkpoint-store';
import { TenantScope, tenantIsolated } from '../../src/foundation/tenancy';
import {
  EventSerializer,
  ExpectedVersion,
  InMemoryKeyStore,
  InMemoryStreamStore,
  encryptPersonalData,
  type RecordedEvent,
} from '../../src/persistence';
import { CommandDispatcher } from '../../src/messaging/command-dispatcher';
import { InMemoryBus } from '../../src/messaging/in-memory-bus';
import { MessageBuilder } from '../../src/messaging/message-builder';
import { Checkout, ItemAdded, codec } from './transport-fixtures';
import {
  InMemoryBroker,
  InMemoryTransport,
  LogForwarder,
  RemoteCommandSender,
  bridgeBusToTransport,
  bridgeTransportToBus,
  deadLetterGroup,
  deadLetterTopic,
  serveRemoteCommands,
  WIRE_HEADERS,
  type TransportDelivery,
  type TransportMessage,
} from '../../src/transport';
import { waitUntil } from '../../src/testing/contracts';

const CANARY = 'wire-canary-77@example.org';

class MemberJoined extends Event {
  constructor(
    readonly memberId: string,
    readonly email: string | Redacted,
  ) {
    super();
  }
}
const registry = new EventTypeRegistry().register(MemberJoined, 'MemberJoined', {
  personal: { subject: 'memberId', fields: ['email'] },
});

/** What a receiver rebuilds from a forwarded message to decrypt it with the shared key store. */
function recordedOf(message: TransportMessage): RecordedEvent {
  return {
    streamName: message.headers?.stream ?? '',
    revision: Number(message.headers?.revision ?? 0),
    position: BigInt(message.headers?.position ?? 0),
    eventId: message.messageId,
    type: message.type,
    data: message.body,
    metadata: message.metadata ?? '',
    created: new Date(),
  };
}

describe('personal data and tenants over the transport', () => {
  it('the forwarder publishes ciphertext with the tenant header; a receiver decrypts until the subject is forgotten', async () => {
    const base = new InMemoryStreamStore();
    const keyStore = new InMemoryKeyStore();
    const encrypted = encryptPersonalData(base, { registry, keyStore });
    const store = tenantIsolated(encrypted);
    const serializer = new EventSerializer({ registry });
    await TenantScope.run('acme', () =>
      store.appendToStream('acme.member-m1', ExpectedVersion.Any, [
        serializer.serialize(new MemberJoined('m1', CANARY)),
      ]),
    );

    const transport = new InMemoryTransport();
    const received: TransportDelivery[] = [];
    await transport.subscribe(
      { group: 'reader', topics: ['events.>'] },
      (delivery) => void received.push(delivery),
    );
    // The forwarder reads the store underneath the encryption: it publishes what is stored.
    const forwarder = new LogForwarder({
      name: 'out',
      store: base,
      transport,
      checkpoints: new InMemoryCheckpointStore(),
    });
    await forwarder.start();
    await waitUntil(() => received.length === 1, 10_000, 'the forwarded event');
    await forwarder.stop();

    const message = received[0]!.message;
    expect(JSON.stringify(message)).not.toContain(CANARY);
    expect(message.tenant).toBe('acme');
    expect(WIRE_HEADERS.tenant).toBe('rd-tenant');
    // Without decryption the receiver gets a typed error, never ciphertext as a value.
    expect(() => serializer.deserialize(recordedOf(message))).toThrow(/field email is encrypted/);
    // With the shared key store it reads the value...
    const clear = serializer.deserialize<MemberJoined>(
      await encrypted.cipher.decrypt(recordedOf(message)),
    ).event;
    expect(clear.email).toBe(CANARY);
    // ...until the member is forgotten: then the same message reads as Redacted.
    await encrypted.forget('m1');
    const gone = serializer.deserialize<MemberJoined>(
      await encrypted.cipher.decrypt(recordedOf(message)),
    ).event;
    expect(gone.email).toBe(REDACTED);
    await transport.close();
  });
});

describe('tenant across remote commands', () => {
  it("the caller's tenant scope travels as rd-tenant and becomes the handler's tenant scope", async () => {
    const broker = new InMemoryBroker();
    const dispatcher = new CommandDispatcher({ bus: new InMemoryBus() });
    const seen: (string | undefined)[] = [];
    dispatcher.register(Checkout, () => void seen.push(TenantScope.current()));
    const server = await serveRemoteCommands({
      transport: new InMemoryTransport({ broker }),
      dispatcher,
      types: [Checkout],
      codec,
    });
    const sender = new RemoteCommandSender({ transport: new InMemoryTransport({ broker }), codec });
    await sender.start();
    await TenantScope.run('acme', () => sender.send(MessageBuilder.new(() => new Checkout('c1'))));
    await TenantScope.run('globex', () => sender.send(MessageBuilder.new(() => new Checkout('c2'))));
    await sender.send(MessageBuilder.new(() => new Checkout('c3')));
    expect(seen).toEqual(['acme', 'globex', undefined]);
    // A malformed tenant header is refused before the handler runs.
    const forged = new RemoteCommandSender({
      transport: new InMemoryTransport({ broker }),
      codec,
      contextOf: () => ({ tenant: 'ACME; drop table' }),
    });
    await forged.start();
    const response = await forged.trySend(MessageBuilder.new(() => new Checkout('c4')));
    expect(response.kind).toBe('fail');
    expect(seen).toHaveLength(3);
    await forged.stop();
    await sender.stop();
    await server.stop();
  });
});

describe('tenant across the bus bridges', () => {
  it("a message published in a tenant's scope reaches the other bus's handlers in that tenant's scope", async () => {
    const broker = new InMemoryBroker();
    const here = new InMemoryBus('here');
    const there = new InMemoryBus('there');
    const seen: [number, string | undefined][] = [];
    there.subscribe(ItemAdded, (e) => void seen.push([e.n, TenantScope.current()]));
    const inbound = await bridgeTransportToBus({
      transport: new InMemoryTransport({ broker }),
      bus: there,
      group: 'there',
      codec,
      prefetch: 1,
    });
    const outbound = bridgeBusToTransport({
      bus: here,
      transport: new InMemoryTransport({ broker }),
      types: [ItemAdded],
      codec,
    });
    await TenantScope.run('acme', () => here.publish(MessageBuilder.new(() => new ItemAdded('c1', 1))));
    await TenantScope.run('globex', () => here.publish(MessageBuilder.new(() => new ItemAdded('c2', 2))));
    await here.publish(MessageBuilder.new(() => new ItemAdded('c3', 3)));
    await waitUntil(() => seen.length === 3, 10_000, 'three bridged events');
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual([
      [1, 'acme'],
      [2, 'globex'],
      [3, undefined],
    ]);
    await outbound.stop();
    await inbound.stop();
  });

  it('a malformed tenant header fails the delivery: dead-lettered with the reason, never handled', async () => {
    const broker = new InMemoryBroker();
    const bus = new InMemoryBus();
    let handled = 0;
    bus.subscribe(ItemAdded, () => void handled++);
    const inbound = await bridgeTransportToBus({
      transport: new InMemoryTransport({ broker }),
      bus,
      group: 'svc',
      codec,
      maxDeliveries: 1,
    });
    const dead: TransportDelivery[] = [];
    const watcher = new InMemoryTransport({ broker });
    await watcher.subscribe(
      { group: deadLetterGroup('svc'), topics: [deadLetterTopic('svc')] },
      async (delivery) => {
        dead.push(delivery);
      },
    );
    const outbound = new InMemoryBus();
    const forged = bridgeBusToTransport({
      bus: outbound,
      transport: new InMemoryTransport({ broker }),
      types: [ItemAdded],
      codec,
      contextOf: () => ({ tenant: 'ACME; drop table' }),
    });
    await outbound.publish(MessageBuilder.new(() => new ItemAdded('c1', 1)));
    await waitUntil(() => dead.length === 1, 10_000, 'the dead letter');
    expect(dead[0]!.message.headers?.[WIRE_HEADERS.deadLetterReason]).toMatch(/tenant id/i);
    expect(handled).toBe(0);
    await forged.stop();
    await watcher.close();
    await inbound.stop();
  });
});
