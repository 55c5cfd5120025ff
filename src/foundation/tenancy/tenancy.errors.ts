import { ReactiveDomainError } from '../../core/reactive-domain.error';

/** Something that needs a tenant ran outside any tenant scope. */
export class TenantRequiredError extends ReactiveDomainError {
  readonly code = 'TENANT_REQUIRED';
  constructor(
    /** What needed the tenant (e.g. `appendToStream "acme.order-1"`). */
    readonly operation: string,
  ) {
    super(`${operation} needs a tenant: run it inside TenantScope.run(tenantId, ...)`);
  }
}

/**
 * One tenant's code touched another tenant's data: a stream outside its namespace, an event stamped with another
 * tenant, or a message of another tenant. Nothing was read into the caller or written.
 */
export class CrossTenantAccessError extends ReactiveDomainError {
  readonly code = 'CROSS_TENANT_ACCESS';
  constructor(
    /** The tenant of the current scope. */
    readonly currentTenant: string,
    /** The tenant the data or message belongs to (undefined when it carries none). */
    readonly otherTenant: string | undefined,
    /** What was attempted, e.g. `readStream "globex.order-1"`. */
    readonly operation: string,
  ) {
    super(
      `Tenant ${JSON.stringify(currentTenant)} cannot ${operation}: it belongs to ` +
        (otherTenant === undefined ? 'no tenant' : `tenant ${JSON.stringify(otherTenant)}`),
    );
  }
}

/** A tenant id is not a lowercase slug (`[a-z0-9_]`, 1-64 characters; it becomes a stream-name prefix). */
export class InvalidTenantIdError extends ReactiveDomainError {
  readonly code = 'INVALID_TENANT_ID';
}
