import { ClassRoutes, classRoutesOf } from '../../core/class-routes';
import {
  UnknownEventTypeError,
  defaultEventTypes,
  type EventTypeRegistry,
} from '../../core/event-type-registry';
import type { MessageType } from '../../core/message';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import type { RecordedEvent } from '../../persistence/stream-store';
import type { RecordedEventDeserializer } from '../subscriptions/recorded-event-deserializer';
import { ReadModelRouteError } from './read-model.errors';

/** A handler bound to no instance: called with `this` = the model. */
type Route = (this: object, event: object, context: object) => unknown;

/**
 * Routes stored events to a model's handlers: convention methods `apply<TypeName>(event, context)` found on the
 * model's class, and explicit `on(Type, handler)` registrations. Shared by every model kind (in-memory read models,
 * durable read models, process-manager hosts), so they route alike.
 * @internal
 */
export class EventRouter {
  readonly #label: string;
  readonly #target: object;
  readonly #serializer: RecordedEventDeserializer;
  readonly #skipUnknown: boolean;
  readonly #classRoutes: ClassRoutes;
  readonly #explicit = new Map<Function, Route>();
  /** Route per stored type name; null = registered but not handled. */
  readonly #routes = new Map<string, Route | null | 'unknown'>();
  /** The registry type names are resolved with. */
  readonly registry: EventTypeRegistry;

  constructor(options: {
    /** Model name, for messages. */
    readonly name: string;
    /** The model instance (`this` of convention methods). */
    readonly target: object;
    /** The model's class (`new.target`): its static `eventTypes` and its `apply<Name>` methods. */
    readonly ctor: Function;
    /** The base class prototype where the search for convention methods stops. */
    readonly stopAt: object;
    readonly serializer: RecordedEventDeserializer;
    /** The owner's `unknownEventTypes` option, validated here (default `error`). */
    readonly unknownEventTypes: 'error' | 'skip' | undefined;
  }) {
    const { name, ctor, serializer } = options;
    this.#label = `Read model ${JSON.stringify(name)}`;
    const unknown = options.unknownEventTypes ?? 'error';
    if (unknown !== 'error' && unknown !== 'skip') {
      throw new InvalidArgumentError(
        `${this.#label}: unknownEventTypes must be 'error' or 'skip', got ${describeValue(unknown)}`,
      );
    }
    this.#target = options.target;
    this.#serializer = serializer;
    this.#skipUnknown = unknown === 'skip';
    const declared = (ctor as { eventTypes?: EventTypeRegistry }).eventTypes;
    const fromSerializer = serializer.registry;
    if (declared !== undefined && fromSerializer !== undefined && declared !== fromSerializer) {
      throw new InvalidArgumentError(
        `${this.#label}: the serializer uses another event-type registry than the model ` +
          `(static eventTypes); set ${ctor.name}.eventTypes to the serializer's registry`,
      );
    }
    this.registry = declared ?? fromSerializer ?? defaultEventTypes;
    this.#classRoutes = routesOf(ctor, options.stopAt, this.registry);
  }

  /** Registers the handler for events of exactly `type` (see `ReadModelBase.on`). */
  on(type: MessageType, handler: (event: never, context: never) => unknown): void {
    if (typeof type !== 'function' || typeof handler !== 'function') {
      throw new InvalidArgumentError(`${this.#label}: on(type, handler) needs a class and a function`);
    }
    const label = this.registry.nameOfType(type) ?? type.name;
    if (this.#explicit.has(type)) {
      throw new ReadModelRouteError(`${this.#label}: a handler for ${label} is already registered`);
    }
    const convention = this.#classRoutes.conventionMethodFor(type);
    if (convention) {
      throw new ReadModelRouteError(
        `${this.#label}: ${label} has both a convention method ${convention}() and an on() handler; keep one`,
      );
    }
    this.#explicit.set(type, (event, context) =>
      (handler as unknown as (e: object, c: object) => unknown)(event, context),
    );
    this.#routes.clear();
  }

  /**
   * Deserialises `recorded` and calls its handler with `context`, returning the handler's promise when it returns
   * one (synchronous otherwise, so a synchronous handler costs no promise). Registered types without a handler are
   * stepped over; an unregistered type throws {@link UnknownEventTypeError} unless the model skips unknown types.
   * Throws whatever deserialising or the handler throws.
   */
  dispatch(recorded: RecordedEvent, context: object): PromiseLike<unknown> | void {
    const route = this.#routeOf(recorded.type);
    if (route === null) return;
    if (route === 'unknown') {
      if (this.#skipUnknown) return;
      throw new UnknownEventTypeError(recorded.type, recorded.streamName, recorded.revision);
    }
    let event: object;
    try {
      event = this.#serializer.deserialize(recorded).event;
    } catch (error) {
      // The serializer's registry did not know the type either: skipped, by option.
      if (error instanceof UnknownEventTypeError && this.#skipUnknown) return;
      throw error;
    }
    const result = route.call(this.#target, event, context);
    if (result !== undefined && typeof (result as PromiseLike<unknown>).then === 'function')
      return result as PromiseLike<unknown>;
  }

  /** The route for a stored type name, resolved once per name. */
  #routeOf(typeName: string): Route | null | 'unknown' {
    let route = this.#routes.get(typeName);
    if (route === undefined) {
      const entry = this.registry.entryOfName(typeName);
      if (!entry) route = 'unknown';
      else
        route =
          this.#explicit.get(entry.type) ??
          (this.#classRoutes.routeFor(entry.type) as Route | undefined) ??
          null;
      this.#routes.set(typeName, route);
    }
    return route;
  }
}

const foreignRoutes = new WeakMap<Function, WeakMap<EventTypeRegistry, ClassRoutes>>();

/** Convention routes of a model class under `registry`, discovered once per (class, registry). */
function routesOf(ctor: Function, stopAt: object, registry: EventTypeRegistry): ClassRoutes {
  const declared = classRoutesOf(ctor, stopAt);
  if (declared.registry === registry) return declared;
  let byRegistry = foreignRoutes.get(ctor);
  if (!byRegistry) foreignRoutes.set(ctor, (byRegistry = new WeakMap()));
  let routes = byRegistry.get(registry);
  if (!routes)
    byRegistry.set(registry, (routes = new ClassRoutes(ctor.prototype as object, stopAt, registry, false)));
  return routes;
}
