import { CrossTenantAccessError, TenantRequiredError } from './tenancy.errors';
import { TENANT_HEADER, TenantScope } from './tenant-scope';

/** Options of {@link enforceTenant}. */
export interface EnforceTenantOptions {
  /**
   * The tenant a command or query belongs to, if it says (default: the pipeline metadata's `tenant` item — where a
   * transport's receiving side puts the header — else the message's own `tenantId` field).
   */
  readonly tenantOf?: (message: object, metadata: ReadonlyMap<string, unknown>) => string | undefined;
  /** Refuse a message that neither names a tenant nor runs inside a tenant scope (default true). */
  readonly required?: boolean;
}

/** The part of a middleware context {@link enforceTenant} uses (the dispatcher's and the query bus's both fit). */
export interface TenantMiddlewareContext<F> {
  /** The command or query. */
  readonly message: object;
  /** Items shared along the dispatch. */
  readonly metadata: Map<string, unknown>;
  /** Short-circuits with a typed failure. */
  fail(error: unknown): F;
}

/**
 * A middleware for `CommandDispatcher.use` and `QueryBus.use` that enforces the tenant:
 * - a message of tenant A inside a scope of tenant B fails with {@link CrossTenantAccessError} (the handler never
 *   runs);
 * - a message that names its tenant outside any scope is handled inside `TenantScope.run(itsTenant)` (so the
 *   repository and store see it);
 * - a message with no tenant outside any scope fails with {@link TenantRequiredError} unless `required: false`.
 * The tenant is left in the pipeline metadata under `tenant` for later middleware (audit).
 */
export function enforceTenant(
  options: EnforceTenantOptions = {},
): <F, R>(context: TenantMiddlewareContext<F>, next: () => Promise<R>) => Promise<R | F> {
  const tenantOf = options.tenantOf ?? defaultTenantOf;
  const required = options.required ?? true;
  return async (context, next) => {
    const message = context.message;
    const scoped = TenantScope.current();
    let own: string | undefined;
    try {
      const named = tenantOf(message, context.metadata);
      own = named === undefined ? undefined : TenantScope.check(named);
    } catch (error) {
      return context.fail(error);
    }
    const type = (message as { constructor?: { name?: string } }).constructor?.name || 'message';
    if (own !== undefined && scoped !== undefined && own !== scoped)
      return context.fail(new CrossTenantAccessError(scoped, own, `handle ${type}`));
    const tenant = own ?? scoped;
    if (tenant === undefined) {
      if (required) return context.fail(new TenantRequiredError(`Handling ${type}`));
      return next();
    }
    context.metadata.set(TENANT_HEADER, tenant);
    return scoped === tenant ? next() : TenantScope.run(tenant, next);
  };
}

function defaultTenantOf(message: object, metadata: ReadonlyMap<string, unknown>): string | undefined {
  const fromMetadata = metadata.get(TENANT_HEADER);
  if (fromMetadata !== undefined) return fromMetadata as string;
  const field = (message as { tenantId?: unknown }).tenantId;
  return field === undefined ? undefined : (field as string);
}
