import {
  PrefixedCamelCaseStreamNameBuilder,
  type StreamNameBuilder,
} from '../../persistence/stream-name-builder';
import { TenantScope } from './tenant-scope';

/**
 * A {@link StreamNameBuilder} that puts every aggregate stream and category in the current tenant's namespace:
 * `acme.order-<id>`, category `acme.order` (the default builder's prefix, set to the tenant). Give it to the
 * repository and build listener sources with it (`ListenerSources.category(names.forCategory('Order'))`) inside the
 * tenant's scope. Outside any tenant scope it throws `TenantRequiredError`: no stream is ever named without one.
 * Event-type views (`$et-...`) are not per tenant.
 */
export class TenantStreamNameBuilder implements StreamNameBuilder {
  private readonly builders = new Map<string, PrefixedCamelCaseStreamNameBuilder>();

  /** `acme.order-<id>` in tenant `acme`. */
  forAggregate(aggregateTypeName: string, id: string): string {
    return this.builder(`stream name of ${aggregateTypeName} ${id}`).forAggregate(aggregateTypeName, id);
  }

  /** `acme.order` in tenant `acme`. */
  forCategory(aggregateTypeName: string): string {
    return this.builder(`category of ${aggregateTypeName}`).forCategory(aggregateTypeName);
  }

  /** `$et-<type>` (not per tenant: a `tenantIsolated` store filters its events by tenant). */
  forEventType(eventTypeName: string): string {
    return this.builder(`event-type view of ${eventTypeName}`).forEventType(eventTypeName);
  }

  private builder(operation: string): PrefixedCamelCaseStreamNameBuilder {
    const tenant = TenantScope.require(operation);
    let builder = this.builders.get(tenant);
    if (builder === undefined) {
      builder = new PrefixedCamelCaseStreamNameBuilder(tenant);
      this.builders.set(tenant, builder);
    }
    return builder;
  }
}
