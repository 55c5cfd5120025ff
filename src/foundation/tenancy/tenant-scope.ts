import { AsyncLocalStorage } from 'node:async_hooks';
import { describeValue } from '../../core/reactive-domain.error';
import { InvalidTenantIdError, TenantRequiredError } from './tenancy.errors';

const TENANT_ID = /^[a-z0-9_]{1,64}$/;

/** The metadata header that carries an event's tenant (`metadata.headers.tenant`), and a transport's header name. */
export const TENANT_HEADER = 'tenant';

// Created on first use: code that never opens a tenant scope pays nothing for AsyncLocalStorage (as CorrelationScope).
let storage: AsyncLocalStorage<string> | undefined;

/**
 * The tenant the current asynchronous call chain works for (AsyncLocalStorage), opt-in like `CorrelationScope`:
 * `TenantScope.run('acme', () => dispatcher.send(cmd))` — everything awaited inside sees `TenantScope.current()`.
 * The tenancy pieces read it: {@link TenantStreamNameBuilder} prefixes stream names with it, `tenantIsolated(store)`
 * stamps it into event metadata and refuses other tenants' streams and events, `enforceTenant()` refuses commands
 * and queries of another tenant.
 *
 * A tenant id is a lowercase slug (`[a-z0-9_]`, 1-64 characters): it becomes the stream-name prefix `<tenant>.`.
 */
export class TenantScope {
  private constructor() {}

  /** Runs `fn` with `tenantId` as the current tenant (an inner scope replaces an outer one for its duration). */
  static run<T>(tenantId: string, fn: () => T): T {
    const tenant = TenantScope.check(tenantId);
    storage ??= new AsyncLocalStorage<string>();
    return storage.run(tenant, fn);
  }

  /** The current tenant, or undefined outside any scope. */
  static current(): string | undefined {
    return storage?.getStore();
  }

  /** The current tenant; throws {@link TenantRequiredError} outside any scope. */
  static require(operation: string): string {
    const tenant = storage?.getStore();
    if (tenant === undefined) throw new TenantRequiredError(operation);
    return tenant;
  }

  /** Returns `tenantId` when it is a valid tenant id; throws {@link InvalidTenantIdError} otherwise. */
  static check(tenantId: unknown): string {
    if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId))
      throw new InvalidTenantIdError(
        `Tenant id must be a lowercase slug ([a-z0-9_], 1-64 characters), got ${describeValue(tenantId)}`,
      );
    return tenantId;
  }

  /** The stream-name prefix of a tenant's namespace: `<tenant>.`. */
  static prefixOf(tenantId: string): string {
    return `${tenantId}.`;
  }

  /** The tenant whose namespace holds `streamName` (the part before the first `.`), or undefined. */
  static tenantOfStream(streamName: string): string | undefined {
    const dot = streamName.indexOf('.');
    if (dot <= 0) return undefined;
    const tenant = streamName.slice(0, dot);
    return TENANT_ID.test(tenant) ? tenant : undefined;
  }
}
