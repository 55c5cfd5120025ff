import { AmbiguousConventionMethodError, UnmatchedConventionMethodError } from './aggregate.errors';
import { defaultEventTypes, type EventTypeRegistry } from './event-type-registry';

/** A route bound to no instance: called with `this` = the state machine. */
type ConventionRoute = (this: object, event: object) => void;

/** The prefix of convention route names: `apply<RegisteredTypeName>`. */
export const CONVENTION_PREFIX = 'apply';

/** Characters a registered type name may hold that a method name cannot. */
const NOT_IN_IDENTIFIERS = /[.:-]/g;

/**
 * The convention method that routes events registered under `typeName`: `apply` + the name, with every `.`, `:`
 * and `-` (allowed in type names, not in identifiers) replaced by `_`. `'AccountOpened'` -> `applyAccountOpened`,
 * `'Notes.Added'` -> `applyNotes_Added`, `'billing:invoice-sent'` -> `applybilling_invoice_sent`.
 */
export function conventionMethodName(typeName: string): string {
  return CONVENTION_PREFIX + typeName.replace(NOT_IN_IDENTIFIERS, '_');
}

/**
 * The convention routes of one state-machine class, discovered once: every `apply<Name>` method on the
 * prototype chain (nearest override wins). Each must match exactly one type registered in `registry`, so a
 * convention method is never skipped silently: {@link ClassRoutes.check} verifies it (state machines call it at
 * construction), and so does the first route lookup. Checking is not done on creation, because an owner may build
 * the routes of its class's declared registry only to find that it routes with another one. Routes per event class
 * are resolved lazily and cached, so the steady-state cost of routing is one map read.
 */
export class ClassRoutes {
  private readonly methods = new Map<string, ConventionRoute>();
  private readonly byEventType = new Map<Function, ConventionRoute | null>();
  /** True when the class has at least one convention method. */
  readonly hasConventionMethods: boolean;
  private readonly prototype: object;
  private checked = false;
  /** The event class of the last lookup and its route (see {@link routeFor}). */
  private lastType: Function | undefined = undefined;
  private lastRoute: ConventionRoute | undefined = undefined;

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
    this.hasConventionMethods = this.methods.size > 0;
    this.prototype = prototype;
  }

  /**
   * Verifies, once, that every convention method matches exactly one registered type.
   * @throws UnmatchedConventionMethodError / AmbiguousConventionMethodError (again on every call until fixed).
   */
  check(): void {
    if (this.checked) return;
    if (this.hasConventionMethods) this.checkMethods(this.prototype);
    this.checked = true;
  }

  /** The convention route for an event class, or undefined. */
  routeFor(eventType: Function): ConventionRoute | undefined {
    // One-entry cache in front of the map: a replay is mostly runs of one event class, and a compare is much
    // cheaper than a Map read (measured: restoreFromEvents 58M -> 78M events/s).
    if (eventType === this.lastType) return this.lastRoute;
    let route = this.byEventType.get(eventType);
    if (route === undefined) {
      this.check(); // only on a cache miss: free in the steady state
      const name = this.registry.nameOfType(eventType);
      route = (name !== undefined && this.methods.get(conventionMethodName(name))) || null;
      this.byEventType.set(eventType, route);
    }
    this.lastType = eventType;
    this.lastRoute = route ?? undefined;
    return this.lastRoute;
  }

  /** The name of the convention method that would route `eventType`, when one exists. */
  conventionMethodFor(eventType: Function): string | undefined {
    this.check();
    const name = this.registry.nameOfType(eventType);
    return name !== undefined && this.routeFor(eventType) ? conventionMethodName(name) : undefined;
  }

  /** Every convention method must route exactly one registered type: once per class, so it costs nothing per event. */
  private checkMethods(prototype: object): void {
    const typesByMethod = new Map<string, string[]>();
    for (const entry of this.registry.entries()) {
      const method = conventionMethodName(entry.name);
      if (!this.methods.has(method)) continue;
      const names = typesByMethod.get(method);
      if (names) names.push(entry.name);
      else typesByMethod.set(method, [entry.name]);
    }
    const className = classNameOf(prototype);
    for (const method of this.methods.keys()) {
      const names = typesByMethod.get(method);
      if (!names) throw new UnmatchedConventionMethodError(className, method, this.registry);
      if (names.length > 1) throw new AmbiguousConventionMethodError(className, method, names);
    }
  }
}

function classNameOf(prototype: object): string {
  return (prototype as { constructor?: { name?: string } }).constructor?.name || 'anonymous class';
}

const cache = new WeakMap<Function, ClassRoutes>();

/** Routing options a state-machine class declares as statics. */
export interface RoutingStatics {
  readonly eventTypes?: EventTypeRegistry;
  readonly strictRouting?: boolean;
}

/** The (cached) routes of a state-machine class under its declared registry (not yet checked: see `check`). */
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
