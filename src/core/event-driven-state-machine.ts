import {
  AggregateVersionMismatchError,
  DuplicateRouteError,
  InvalidEventError,
  PendingEventsError,
  RouteConflictError,
  UnroutedEventError,
  type AggregateLabel,
} from './aggregate.errors';
import { classRoutesOf, type ClassRoutes } from './class-routes';
import type { EventTypeRegistry } from './event-type-registry';
import type { MessageType } from './message';
import { InvalidArgumentError, describeValue } from './reactive-domain.error';

type Route = (event: object) => void;

/**
 * The pending events of an instance that has none: one shared, frozen empty array instead of an array per instance
 * (and per save), which is most of what a cached or freshly loaded aggregate would otherwise carry for nothing.
 */
const NO_EVENTS: object[] = Object.freeze([]) as unknown as object[];

/**
 * State that changes only by applying events (Reactive Domain's EventDrivenStateMachine).
 *
 * Events reach state by one of two routes:
 * - by convention: a method named `apply<TypeName>` where `TypeName` is the name the event class is registered
 *   under (`registry.register(AccountOpened, 'AccountOpened')` routes to `applyAccountOpened`). Methods are found
 *   once per class (prototype chain included) and cached;
 * - explicitly: `this.register(AccountOpened, e => ...)` in the constructor.
 *
 * Convention names come from `static eventTypes` (default: the process-wide `defaultEventTypes`). A type name
 * holding `.`, `:` or `-` routes to the method with those characters replaced by `_` (`'Notes.Added'` ->
 * `applyNotes_Added`; see `conventionMethodName`). Every method whose name starts with `apply` is a convention route:
 * one that matches no registered type (or two) refuses the class at its first use
 * (`UnmatchedConventionMethodError`, `AmbiguousConventionMethodError`), so no route is skipped silently.
 *
 * Both routes for one type is a {@link RouteConflictError}. An event with no route at all is recorded and counts
 * toward the version (Reactive Domain behaviour: many events carry no state the aggregate needs) unless the class
 * sets `static strictRouting = true`, which makes it an {@link UnroutedEventError}.
 */
export abstract class EventDrivenStateMachine {
  /** Registry that names event types for convention routing. Override per class to isolate. */
  static eventTypes?: EventTypeRegistry;
  /** When true, applying an event without a route throws instead of being ignored. */
  static strictRouting?: boolean;

  #version = -1;
  #recorded: object[] = NO_EVENTS;
  #explicitRoutes: Map<Function, Route> | undefined;
  #childRoutes: Map<Function, Route[]> | undefined;
  #classRoutes: ClassRoutes;

  constructor() {
    this.#classRoutes = classRoutesOf(new.target, EventDrivenStateMachine.prototype);
    this.#classRoutes.check(); // a convention method that matches nothing refuses the class at its first use
  }

  /** Revision of the last stored event applied; -1 when new. */
  get expectedVersion(): number {
    return this.#version;
  }

  /** Events raised and not yet taken, oldest first. */
  get pendingEvents(): readonly object[] {
    return this.#recorded;
  }

  /** True when events have been raised and not yet taken. */
  get hasRecordedEvents(): boolean {
    return this.#recorded.length > 0;
  }

  /** Applies stored history; the version advances by one per event. */
  restoreFromEvents(events: Iterable<object>): void {
    if (events === null || events === undefined)
      throw this.invalidEvent('restoreFromEvents expects an iterable of events', events);
    if (this.#recorded.length > 0) {
      throw new PendingEventsError(
        this.label(),
        `cannot restore history while ${this.#recorded.length} raised event(s) are not saved`,
      );
    }
    if (Array.isArray(events)) {
      // Indexed: a replay hands arrays, and this loop runs once per event loaded.
      for (let i = 0; i < events.length; i++) {
        this.route(this.checkEvent(events[i]));
        this.#version++;
      }
      return;
    }
    for (const event of events) {
      this.route(this.checkEvent(event));
      this.#version++;
    }
  }

  /** Applies newer stored events; `expectedVersion` must be the current version of an instance with history. */
  updateWithEvents(events: Iterable<object>, expectedVersion: number): void {
    if (this.#version < 0) {
      throw new AggregateVersionMismatchError(
        this.label(),
        'cannot update an instance that has no history; restore it first',
      );
    }
    if (expectedVersion !== this.#version) {
      throw new AggregateVersionMismatchError(
        this.label(),
        `updateWithEvents expected version ${expectedVersion} but the instance is at version ${this.#version}`,
      );
    }
    this.restoreFromEvents(events);
  }

  /** Returns and clears the raised events, advancing the version by their count. */
  takeEvents(): object[] {
    const taken = this.#recorded === NO_EVENTS ? [] : this.#recorded;
    this.#recorded = NO_EVENTS;
    this.#version += taken.length;
    return taken;
  }

  /**
   * Replaces state with a snapshot taken at `version` (for repositories). The instance must be fresh.
   * @internal
   */
  restoreSnapshotAt(version: number, restore: () => void): void {
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new InvalidArgumentError(
        `${this.label().aggregateType}: snapshot version must be >= 0, got ${describeValue(version)}`,
      );
    }
    if (this.#recorded.length > 0 || this.#version !== -1) {
      throw new PendingEventsError(this.label(), 'a snapshot can only be restored into a fresh instance');
    }
    restore();
    this.#version = version;
  }

  /**
   * Moves the version forward to `version` without applying events. A stream recreated after a soft delete keeps
   * counting revisions from where it was deleted, so the first visible event may have revision > 0; the version must
   * still be the revision of the last event. For repositories only.
   * @internal
   */
  skipToVersion(version: number): void {
    if (!Number.isSafeInteger(version) || version < this.#version) {
      throw new InvalidArgumentError(
        `${this.label().aggregateType}: cannot move the version from ${this.#version} to ${describeValue(version)}`,
      );
    }
    if (this.#recorded.length > 0) {
      throw new PendingEventsError(this.label(), 'cannot move the version while raised events are not saved');
    }
    this.#version = version;
  }

  /** Registers an explicit route for events of exactly `type`. Call it in the constructor. */
  protected register<E extends object>(type: MessageType<E>, route: (event: E) => void): void {
    if (typeof type !== 'function' || typeof route !== 'function') {
      throw new InvalidArgumentError(
        `${this.label().aggregateType}: register(type, route) needs a class and a function`,
      );
    }
    this.#explicitRoutes ??= new Map();
    if (this.#explicitRoutes.has(type)) {
      throw new DuplicateRouteError(
        this.label(),
        `a route for ${this.typeLabel(type)} is already registered`,
      );
    }
    const conventionMethod = this.#classRoutes.conventionMethodFor(type);
    if (conventionMethod) {
      throw new RouteConflictError(
        this.label(),
        `${this.typeLabel(type)} has both a convention method ${conventionMethod}() and an explicit route; keep one`,
      );
    }
    this.#explicitRoutes.set(type, route as Route);
  }

  /** Applies `event` to state, then records it as pending. If the route throws, nothing is recorded. */
  protected raise(event: object): void {
    this.checkEvent(event);
    this.onRaising(event);
    try {
      this.route(event);
    } catch (error) {
      this.onRaiseFailed(event);
      throw error;
    }
    if (this.#recorded === NO_EVENTS) this.#recorded = [event];
    else this.#recorded.push(event);
  }

  /** Hook run before a raised event is routed (correlated aggregates stamp ids here). */
  protected onRaising(_event: object): void {}

  /** Hook run when a raised event's route threw (nothing was recorded); undo what `onRaising` did to the event. */
  protected onRaiseFailed(_event: object): void {}

  /**
   * Routes events of `type` to a child entity as well. Children of one root may each route the same type; they
   * must ignore events that are not theirs.
   * @internal used by `ChildEntity`
   */
  addChildRoute(type: Function, route: Route): void {
    this.#childRoutes ??= new Map();
    const routes = this.#childRoutes.get(type);
    // Copy on write: a child created while routing an event must not receive that same event.
    if (routes) this.#childRoutes.set(type, [...routes, route]);
    else this.#childRoutes.set(type, [route]);
  }

  /** Raises an event on behalf of a child entity. @internal used by `ChildEntity` */
  raiseFromChild(event: object): void {
    this.raise(event);
  }

  /** Type and id for error messages. */
  protected label(): AggregateLabel {
    const ctor = this.constructor as { typeName?: string; name: string };
    const id = (this as { id?: unknown }).id;
    return {
      aggregateType: ctor.typeName ?? ctor.name,
      aggregateId: typeof id === 'string' ? id : undefined,
    };
  }

  private route(event: object): void {
    const type = event.constructor;
    if (this.#explicitRoutes === undefined && this.#childRoutes === undefined) {
      // Most aggregates route by convention only: one cached lookup, no map reads.
      const convention = this.#classRoutes.routeFor(type);
      if (convention) convention.call(this, event);
      else if (this.#classRoutes.strict) this.refuseUnrouted(type);
      return;
    }
    const explicit = this.#explicitRoutes?.get(type);
    const children = this.#childRoutes?.get(type);
    if (explicit) explicit(event);
    else {
      const convention = this.#classRoutes.routeFor(type);
      if (convention) convention.call(this, event);
      else if (!children && this.#classRoutes.strict) this.refuseUnrouted(type);
    }
    if (children) for (const child of children) child(event);
  }

  private refuseUnrouted(type: Function): never {
    throw new UnroutedEventError(
      this.label(),
      `no route for event ${this.typeLabel(type)} (strict routing is on)`,
    );
  }

  private checkEvent(event: unknown): object {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw this.invalidEvent('expected an event object', event);
    }
    return event;
  }

  private invalidEvent(what: string, value: unknown): InvalidEventError {
    return new InvalidEventError(this.label(), `${what}, got ${describeValue(value)}`);
  }

  private typeLabel(type: Function): string {
    return this.#classRoutes.registry.nameOfType(type) ?? type.name;
  }
}
