import type { Message, MessageType } from '../core/message';
import { TenantScope } from '../foundation/tenancy/tenant-scope';
import type { BusSubscription, InMemoryBus } from '../messaging/in-memory-bus';
import type { InboxStore } from './inbox-store';
import { withInbox } from './inbox-store';
import type { DeliveryHandler, MessageTransport, TransportSubscription } from './message-transport';
import { MessageCodec, type MessageContext } from './message-codec';
import { topicToken } from './transport-message';

/** Options of {@link bridgeBusToTransport}. */
export interface BusToTransportOptions {
  /** The local bus to take messages from. */
  readonly bus: InMemoryBus;
  /** Where to publish them. */
  readonly transport: MessageTransport;
  /** The message classes to publish (and their subclasses); each must be registered in the codec's registry. */
  readonly types: readonly MessageType<Message>[];
  /** Codec (default: one over the default registry). */
  readonly codec?: MessageCodec;
  /** Topic of a message; default `messages.<registered type name>`. */
  readonly topicOf?: (message: Message, typeName: string) => string;
  /**
   * Tenant and trace context of a message (e.g. from the active span). Default: the tenant of the current
   * `TenantScope`, if any, as `RemoteCommandSender` does.
   */
  readonly contextOf?: (message: Message) => MessageContext;
  /**
   * Messages that arrived from the transport (through {@link bridgeTransportToBus} on the same bus) are not sent
   * back; they are recognised by this set, which the inbound bridge fills. Pass the same object to both.
   */
  readonly arrived?: WeakSet<object>;
}

/** A running bridge. */
export interface BusBridge {
  /** Stops the bridge. */
  stop(): Promise<void>;
}

/**
 * Publishes chosen local bus messages to the transport, ids intact (`msgId`, `correlationId`, `causationId`). The
 * bus's `publish` resolves after the broker confirmed (the bridge is one of its async handlers); a failed publish
 * is a handler failure on the bus (`errors$` and the publish result), never silent.
 */
export function bridgeBusToTransport(options: BusToTransportOptions): BusBridge {
  const codec = options.codec ?? new MessageCodec();
  const subscriptions: BusSubscription[] = [];
  const handler = async (message: Message): Promise<void> => {
    if (options.arrived?.has(message)) return;
    const encoded = codec.encode(message, options.contextOf?.(message) ?? scopeContext());
    const topic = options.topicOf?.(message, encoded.type) ?? `messages.${topicToken(encoded.type)}`;
    await options.transport.publish(topic, encoded);
  };
  for (const type of options.types) subscriptions.push(options.bus.subscribe(type, handler));
  return {
    async stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

/** Options of {@link bridgeTransportToBus}. */
export interface TransportToBusOptions {
  /** Where messages come from. */
  readonly transport: MessageTransport;
  /** The local bus to publish them on. */
  readonly bus: InMemoryBus;
  /** The consumer group of this service (instances of the service share it). */
  readonly group: string;
  /** Topics or patterns to receive (default `messages.>`). */
  readonly topics?: readonly string[];
  /** Codec (default: one over the default registry). */
  readonly codec?: MessageCodec;
  /** Dedup by message id (recommended): a redelivered message is not published on the bus twice. */
  readonly inbox?: InboxStore<unknown>;
  /** See {@link BusToTransportOptions.arrived}. */
  readonly arrived?: WeakSet<object>;
  /** Unsettled deliveries per instance (default 16). Use 1 to keep the broker's order on the bus. */
  readonly prefetch?: number;
  /** Attempts before a message is dead-lettered (default 5). */
  readonly maxDeliveries?: number;
  /** Failures without a caller. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Delivers messages from the transport onto the local bus, decoded to their classes with their ids. A message is
 * acked when every bus handler succeeded; a failing handler nacks it (redelivery, then the dead-letter group after
 * `maxDeliveries`). With an inbox, a message already delivered is acked without a second publish.
 */
export async function bridgeTransportToBus(options: TransportToBusOptions): Promise<BusBridge> {
  const codec = options.codec ?? new MessageCodec();
  const deliver = async (message: Message, tenant: string | undefined): Promise<void> => {
    options.arrived?.add(message);
    // The sender's tenant (rd-tenant) becomes the bus handlers' tenant scope, as for remote commands; an invalid one
    // fails the delivery (redelivered, then dead-lettered), never published outside its tenant.
    const result = await (tenant === undefined
      ? options.bus.publish(message)
      : TenantScope.run(tenant, () => options.bus.publish(message)));
    if (result.errors.length > 0) {
      const first = result.errors[0]?.error;
      throw first instanceof Error ? first : new Error(String(first));
    }
  };
  const handler: DeliveryHandler = options.inbox
    ? withInbox(options.inbox, options.group, (delivery) =>
        deliver(codec.decode<Message>(delivery.message), delivery.message.tenant),
      )
    : (delivery) => deliver(codec.decode<Message>(delivery.message), delivery.message.tenant);
  const subscription: TransportSubscription = await options.transport.subscribe(
    {
      group: options.group,
      topics: options.topics ?? ['messages.>'],
      ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
      ...(options.maxDeliveries === undefined ? {} : { maxDeliveries: options.maxDeliveries }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    },
    handler,
  );
  return { stop: () => subscription.close() };
}

/** The current tenant scope as a message context (undefined outside any scope). */
function scopeContext(): MessageContext | undefined {
  const tenant = TenantScope.current();
  return tenant === undefined ? undefined : { tenant };
}
