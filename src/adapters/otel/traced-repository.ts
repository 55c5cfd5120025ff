import type { AggregateRoot } from '../../core/aggregate-root';
import { ATTR } from './attributes';
import type { TelemetrySource } from './active-telemetry';

/** The repository methods that are traced; any object with some of them can be wrapped. */
export interface TraceableRepository {
  /** Traced as `load <AggregateType>`. */
  getById?(...args: never[]): Promise<unknown>;
  /** Traced as `load <AggregateType>`. */
  tryGetById?(...args: never[]): Promise<unknown>;
}

const LOADS = new Set<PropertyKey>(['getById', 'tryGetById']);
/**
 * `commit` is where `StreamStoreRepository.save` and a `CorrelatedRepository`'s saves end up: tracing it (and not
 * `save`) gives one `save` span whichever path saved.
 */
const SAVES = new Set<PropertyKey>(['commit']);
const DELETES = new Set<PropertyKey>(['delete', 'hardDelete']);

/**
 * A proxy of `repository` whose loads, saves and deletes run in spans. Methods run with the proxy as `this`, so a
 * repository's own calls between its methods (e.g. `update` calling `getById` and `save`) are traced too.
 * @internal use `ReactiveDomainTelemetry.traceRepository`
 */
export function traceRepository<R extends object>(repository: R, telemetry: TelemetrySource): R {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const operation = LOADS.has(property)
        ? 'load'
        : SAVES.has(property)
          ? 'save'
          : DELETES.has(property)
            ? (property as string)
            : undefined;
      if (operation === undefined) return value;
      let traced = wrapped.get(property);
      if (traced === undefined) {
        const method = value as (...args: unknown[]) => Promise<unknown>;
        traced = function (this: unknown, ...args: unknown[]): Promise<unknown> {
          const active = telemetry.active();
          if (active === undefined) return method.apply(this, args);
          const { typeName, id } = subjectOf(operation, args);
          const attributes = {
            [ATTR.aggregateType]: typeName,
            ...(id === undefined ? {} : { [ATTR.aggregateId]: id }),
          };
          return active.inSpan(
            `${operation} ${typeName}`,
            active.kind('INTERNAL'),
            attributes,
            async (span) => {
              const result = await method.apply(this, args);
              const saved = result as
                { streamName?: unknown; lastRevision?: unknown; commitId?: unknown } | undefined;
              if (operation === 'save' && saved && typeof saved === 'object') {
                if (typeof saved.streamName === 'string') span.setAttribute(ATTR.stream, saved.streamName);
                if (typeof saved.lastRevision === 'number')
                  span.setAttribute(ATTR.revision, saved.lastRevision);
                if (typeof saved.commitId === 'string')
                  span.setAttribute('reactive_domain.commit_id', saved.commitId);
              }
              if (operation === 'load') {
                const loaded = result as AggregateRoot | undefined;
                span.setAttribute('reactive_domain.found', loaded !== undefined);
                if (loaded) span.setAttribute(ATTR.revision, loaded.expectedVersion);
              }
              return result;
            },
          );
        };
        wrapped.set(property, traced);
      }
      return traced;
    },
  });
}

/** Aggregate type name and id from a load's `(Type, id)` or a save's/delete's `(aggregate)` arguments. */
function subjectOf(
  operation: string,
  args: readonly unknown[],
): { typeName: string; id: string | undefined } {
  if (operation === 'load') {
    const type = args[0] as { typeName?: unknown; name?: unknown } | undefined;
    const typeName = typeof type?.typeName === 'string' ? type.typeName : String(type?.name ?? 'aggregate');
    return { typeName, id: typeof args[1] === 'string' ? args[1] : undefined };
  }
  const aggregate = args[0] as
    { id?: unknown; constructor?: { typeName?: unknown; name?: unknown } } | undefined;
  const ctor = aggregate?.constructor;
  const typeName = typeof ctor?.typeName === 'string' ? ctor.typeName : String(ctor?.name ?? 'aggregate');
  return { typeName, id: typeof aggregate?.id === 'string' ? aggregate.id : undefined };
}
