import type { ExpectedVersion } from '../../persistence/expected-version';
import type {
  AllFilter,
  AllSlice,
  AppendResult,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from '../../persistence/stream-store';
import { CrossTenantAccessError } from './tenancy.errors';
import { TENANT_HEADER, TenantScope } from './tenant-scope';

/**
 * A {@link StreamStore} that confines each tenant to its own namespace, around any store (one store, one table or
 * database, many tenants). Build it with {@link tenantIsolated}. The tenant of an operation is the current
 * {@link TenantScope} (or the one a {@link TenantStreamStore.forTenant} view is bound to); without one, every
 * operation throws `TenantRequiredError`.
 *
 * - **Writes** go only to streams named `<tenant>.…` and every event's metadata is stamped with
 *   `headers.tenant` (an event already stamped with another tenant is refused): `CrossTenantAccessError`, nothing
 *   written.
 * - **Reads** of a stream outside the namespace are refused; every event read is checked again against its stamp
 *   (an event in the namespace stamped with another tenant, or with none, is refused rather than returned).
 * - **`$all`** reads and subscriptions see only the tenant's namespace: no filter becomes the namespace filter, a
 *   stream-name filter must lie inside it, an event-type filter is narrowed to it.
 * - **Subscriptions** deliver each event inside `TenantScope.run(tenant)`, so handlers (read models, process
 *   managers) work in the event's tenant.
 */
export class TenantStreamStore implements StreamStore {
  constructor(
    /** The shared store. */
    readonly inner: StreamStore,
    /** The tenant this view is bound to; undefined to follow the current {@link TenantScope}. */
    readonly boundTenant?: string,
  ) {
    if (boundTenant !== undefined) TenantScope.check(boundTenant);
  }

  /** A view of the same store bound to `tenantId` (for code that runs outside a scope: tools, startup). */
  forTenant(tenantId: string): TenantStreamStore {
    return new TenantStreamStore(this.inner, TenantScope.check(tenantId));
  }

  /** Appends inside the tenant's namespace, stamping each event's metadata with the tenant. */
  appendToStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    try {
      const operation = `append to ${JSON.stringify(streamName)}`;
      const tenant = this.tenantFor(operation, streamName);
      const stamped = Array.isArray(events) ? events.map((event) => stamp(event, tenant, operation)) : events;
      return this.inner.appendToStream(streamName, expectedVersion, stamped);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Reads a stream of the tenant's namespace; every event's stamp is checked. */
  async readStream(streamName: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    const operation = `read ${JSON.stringify(streamName)}`;
    const tenant = this.tenantFor(operation, streamName);
    const result = await this.inner.readStream(streamName, options);
    if (result.status === 'ok') for (const event of result.events) checkStamp(event, tenant);
    return result;
  }

  /** Reads `$all`, restricted to the tenant's namespace. */
  async readAll(options: ReadAllOptions = {}): Promise<AllSlice> {
    const tenant = this.tenantFor('read $all');
    const { filter, narrow } = confine(options.filter, tenant);
    let after = options.after;
    for (;;) {
      const slice = await this.inner.readAll({
        ...options,
        ...(after !== undefined ? { after } : {}),
        filter,
      });
      const events = narrow ? slice.events.filter((e) => inNamespace(e.streamName, tenant)) : slice.events;
      for (const event of events) checkStamp(event, tenant);
      // An event-type filter narrowed here may leave a page empty: read on, so a caller paging by the last event's
      // position never sees an empty page before the end.
      if (events.length > 0 || slice.isEnd || slice.events.length === 0) return { ...slice, events };
      after = slice.events.at(-1)!.position;
    }
  }

  /** Subscribes to a stream of the tenant's namespace; handlers run in the tenant's scope. */
  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    const tenant = this.tenantFor(`subscribe to ${JSON.stringify(streamName)}`, streamName);
    return this.inner.subscribeToStream(streamName, options, scoped(handlers, tenant, false));
  }

  /** Subscribes to `$all` restricted to the tenant's namespace; handlers run in the tenant's scope. */
  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    const tenant = this.tenantFor('subscribe to $all');
    const { filter, narrow } = confine(options?.filter, tenant);
    return this.inner.subscribeToAll({ ...options, filter }, scoped(handlers, tenant, narrow));
  }

  /** Deletes a stream of the tenant's namespace. */
  deleteStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    try {
      this.tenantFor(`delete ${JSON.stringify(streamName)}`, streamName);
      return this.inner.deleteStream(streamName, expectedVersion);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Tombstones a stream of the tenant's namespace. */
  tombstoneStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    try {
      this.tenantFor(`tombstone ${JSON.stringify(streamName)}`, streamName);
      return this.inner.tombstoneStream(streamName, expectedVersion);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Closes the shared store (a view made by {@link forTenant} closes it too: close the store once). */
  close(): Promise<void> {
    return this.inner.close();
  }

  private tenantFor(operation: string, streamName?: string): string {
    const scoped = TenantScope.current();
    const tenant = this.boundTenant ?? TenantScope.require(`${operation} (tenant-isolated store)`);
    if (scoped !== undefined && scoped !== tenant)
      throw new CrossTenantAccessError(scoped, tenant, operation);
    if (typeof streamName === 'string' && !inNamespace(streamName, tenant))
      throw new CrossTenantAccessError(tenant, TenantScope.tenantOfStream(streamName), operation);
    return tenant;
  }
}

/** Wraps `store` so that every operation is confined to the current tenant (see {@link TenantStreamStore}). */
export function tenantIsolated(store: StreamStore): TenantStreamStore {
  return new TenantStreamStore(store);
}

/** The tenant stamped in stored metadata (`headers.tenant`), or undefined. */
export function tenantOfMetadata(metadataText: string): string | undefined {
  if (typeof metadataText !== 'string' || !metadataText.includes(`"${TENANT_HEADER}"`)) return undefined;
  try {
    const metadata = JSON.parse(metadataText) as { headers?: Record<string, unknown> } | null;
    const tenant = metadata?.headers?.[TENANT_HEADER];
    return typeof tenant === 'string' ? tenant : undefined;
  } catch {
    return undefined;
  }
}

function inNamespace(streamName: string, tenant: string): boolean {
  // Snapshot and other derived streams (`acme.order-1.snapshots`) share their aggregate stream's prefix.
  return streamName.startsWith(TenantScope.prefixOf(tenant));
}

function checkStamp(event: RecordedEvent, tenant: string): void {
  const stamped = tenantOfMetadata(event.metadata);
  if (stamped !== tenant)
    throw new CrossTenantAccessError(
      tenant,
      stamped,
      `read event ${event.eventId} of ${JSON.stringify(event.streamName)} (its metadata names another tenant)`,
    );
}

/** The filter that confines a `$all` read to the tenant; `narrow` when events must also be filtered here. */
function confine(filter: AllFilter | undefined, tenant: string): { filter: AllFilter; narrow: boolean } {
  const prefix = TenantScope.prefixOf(tenant);
  if (filter === undefined) return { filter: { on: 'streamName', prefixes: [prefix] }, narrow: false };
  if (filter.on === 'streamName') {
    for (const p of filter.prefixes) {
      if (!p.startsWith(prefix))
        throw new CrossTenantAccessError(
          tenant,
          TenantScope.tenantOfStream(p),
          `read $all with stream prefix ${JSON.stringify(p)}`,
        );
    }
    return { filter, narrow: false };
  }
  return { filter, narrow: true };
}

function scoped(handlers: SubscriptionHandlers, tenant: string, narrow: boolean): SubscriptionHandlers {
  // Malformed handlers go through unwrapped: the inner store's argument check reports them.
  if (typeof handlers !== 'object' || handlers === null || typeof handlers.onEvent !== 'function')
    return handlers;
  return {
    onEvent: (event) => {
      if (narrow && !inNamespace(event.streamName, tenant)) return;
      checkStamp(event, tenant); // throwing drops the subscription with this error: never delivered
      return TenantScope.run(tenant, () => handlers.onEvent(event));
    },
    ...(handlers.onLive ? { onLive: () => TenantScope.run(tenant, () => handlers.onLive!()) } : {}),
    ...(handlers.onDropped ? { onDropped: (error) => handlers.onDropped!(error) } : {}),
  };
}

/** Stamps `headers.tenant` into an event's metadata, keeping the serializer's canonical key order. */
function stamp(event: EventData, tenant: string, operation: string): EventData {
  if (typeof event !== 'object' || event === null || typeof event.metadata !== 'string') return event; // validated downstream
  let metadata: Record<string, unknown>;
  try {
    const parsed: unknown = event.metadata === '' ? {} : JSON.parse(event.metadata);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return event;
    metadata = parsed as Record<string, unknown>;
  } catch {
    return event; // the store or the reader reports malformed metadata; nothing tenant-specific to add
  }
  const headers = metadata.headers;
  if (headers !== undefined && (typeof headers !== 'object' || headers === null || Array.isArray(headers)))
    return event;
  const existing = (headers as Record<string, unknown> | undefined)?.[TENANT_HEADER];
  if (existing !== undefined && existing !== tenant)
    throw new CrossTenantAccessError(
      tenant,
      typeof existing === 'string' ? existing : undefined,
      `${operation}: event ${event.eventId} is stamped with another tenant`,
    );
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const key of Object.keys(metadata)) {
    if (key === 'headers') {
      out.headers = { ...(headers as object), [TENANT_HEADER]: tenant };
      placed = true;
    } else {
      if (key === 'rdMetaVersion' && !placed) {
        out.headers = { [TENANT_HEADER]: tenant };
        placed = true;
      }
      out[key] = metadata[key];
    }
  }
  if (!placed) out.headers = { [TENANT_HEADER]: tenant };
  return { ...event, metadata: JSON.stringify(out) };
}
