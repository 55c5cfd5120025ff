import { defaultEventTypes, type EventTypeRegistry } from './event-type-registry';

/** A route bound to no instance: called with `this` = the state machine. */
type ConventionRoute = (this: object, event: object) => void;

/** The prefix of convention route names: `apply<RegisteredTypeName>`. */
export const CONVENTION_PREFIX = 'apply';

/**
 * The convention routes of one state-machine class, discovered once: every `apply<Name>` method on the
 * prototype chain (nearest override wins). Routes per event class are then resolved lazily and cached, so the
 * steady-state cost of routing is one map read.
 */
export class ClassRoutes {
  private readonly methods = new Map<string, ConventionRoute>();
  private readonly byEventType = new Map<Function, ConventionRoute | null>();

  constructor(
    prototype: object,
    stopAt: object,
    readonly registry: EventTypeRegistry,
    readonly strict: boolean,
  ) {
    for (let p: object | null = prototype; p && p !== stopAt; p = Object.getPrototypeOf(p)) {
      for (const key of Object.getOwnPropertyNames(p)) {
        if (
          !key.startsWith(CONVENTION_PREFIX) ||
          key.length === CONVENTION_PREFIX.length ||
          this.methods.has(key)
        )
          continue;
        const descriptor = Object.getOwnPropertyDescriptor(p, key);
        if (descriptor && typeof descriptor.value === 'function')
          this.methods.set(key, descriptor.value as ConventionRoute);
      }
    }
  }

  /** The convention route for an event class, or undefined. */
  routeFor(eventType: Function): ConventionRoute | undefined {
    let route = this.byEventType.get(eventType);
    if (route === undefined) {
      const name = this.registry.nameOfType(eventType);
      route = (name !== undefined && this.methods.get(CONVENTION_PREFIX + name)) || null;
      this.byEventType.set(eventType, route);
    }
    return route ?? undefined;
  }

  /** The name of the convention method that would route `eventType`, when one exists. */
  conventionMethodFor(eventType: Function): string | undefined {
    return this.routeFor(eventType) ? CONVENTION_PREFIX + this.registry.nameOfType(eventType) : undefined;
  }
}

const cache = new WeakMap<Function, ClassRoutes>();

/** Routing options a state-machine class declares as statics. */
export interface RoutingStatics {
  readonly eventTypes?: EventTypeRegistry;
  readonly strictRouting?: boolean;
}

/** The (cached) routes of a state-machine class. */
export function classRoutesOf(ctor: Function & RoutingStatics, stopAt: object): ClassRoutes {
  let routes = cache.get(ctor);
  if (!routes) {
    routes = new ClassRoutes(
      ctor.prototype as object,
      stopAt,
      ctor.eventTypes ?? defaultEventTypes,
      ctor.strictRouting === true,
    );
    cache.set(ctor, routes);
  }
  return routes;
}
