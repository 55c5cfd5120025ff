import { ReactiveDomainError } from './reactive-domain.error';

/** Names an aggregate (or state machine) in error messages: `Order 7f3c…` or `Order`. */
export interface AggregateLabel {
  /** The class's registered `typeName`, or its constructor name when it has none. */
  readonly aggregateType: string;
  /** The instance's id; undefined when it has no string `id` (e.g. a plain state machine). */
  readonly aggregateId: string | undefined;
}

function label(at: AggregateLabel): string {
  return at.aggregateId === undefined
    ? at.aggregateType
    : `${at.aggregateType} ${JSON.stringify(at.aggregateId)}`;
}

/** Base of the errors raised by aggregates and state machines; carries the aggregate's type and id. */
export abstract class AggregateError extends ReactiveDomainError {
  /** The class's registered `typeName`, or its constructor name when it has none. */
  readonly aggregateType: string;
  /** The instance's id; undefined when it has no string `id` (e.g. a plain state machine). */
  readonly aggregateId: string | undefined;
  constructor(at: AggregateLabel, message: string, options?: { cause?: unknown }) {
    super(`${label(at)}: ${message}`, options);
    this.aggregateType = at.aggregateType;
    this.aggregateId = at.aggregateId;
  }
}

/** `raise` was given something that is not an event (not an object; for correlated aggregates: no message ids). */
export class InvalidEventError extends AggregateError {
  readonly code = 'INVALID_EVENT';
}

/** Two routes were registered for one event type. */
export class DuplicateRouteError extends AggregateError {
  readonly code = 'DUPLICATE_ROUTE';
}

/** A type has both an `apply<Type>` convention method and an explicit `register` route. */
export class RouteConflictError extends AggregateError {
  readonly code = 'ROUTE_CONFLICT';
}

/** Strict routing is on and an event has no route. */
export class UnroutedEventError extends AggregateError {
  readonly code = 'UNROUTED_EVENT';
}

/** Restoring history into an instance that has events not yet saved. */
export class PendingEventsError extends AggregateError {
  readonly code = 'PENDING_EVENTS';
}

/** `updateWithEvents` was called with an expected version other than the instance's. */
export class AggregateVersionMismatchError extends AggregateError {
  readonly code = 'AGGREGATE_VERSION_MISMATCH';
}

/** A correlated aggregate raised an event without a source message (the command being handled). */
export class MissingSourceError extends AggregateError {
  readonly code = 'MISSING_SOURCE';
}

/** A correlated aggregate was asked to raise an event that already has correlation or causation ids. */
export class AlreadyCorrelatedError extends AggregateError {
  readonly code = 'ALREADY_CORRELATED';
}

/** The source of a correlated aggregate was changed while it had events not yet saved. */
export class SourceChangeError extends AggregateError {
  readonly code = 'SOURCE_CHANGE_WITH_PENDING_EVENTS';
}

/**
 * A state-machine, aggregate or read-model class has a method named like a convention route (`apply…`) that matches
 * no event type registered in the registry the class routes with: its events would be skipped silently, so the class
 * is refused at its first use. Register the type there, point the class's `static eventTypes` at the registry that
 * holds it, or rename the method (names starting with `apply` are reserved for event routes).
 */
export class UnmatchedConventionMethodError extends ReactiveDomainError {
  readonly code = 'UNMATCHED_CONVENTION_METHOD';
  /** The registry's name (see `EventTypeRegistry.name`). */
  readonly registryName: string;
  constructor(
    /** The class that declares the method. */
    readonly className: string,
    /** The method, e.g. `applyDeposited`. */
    readonly methodName: string,
    registry: { readonly name: string; readonly size: number },
  ) {
    super(
      `${className}.${methodName}() matches no event type registered in ${registry.name} ` +
        `(${registry.size} type(s) registered), so its events would never reach it. Register the event type ` +
        `there (the method for a type name is 'apply' + the name, with '.', ':' and '-' replaced by '_': ` +
        `'Notes.Added' -> applyNotes_Added), set static eventTypes on ${className} to the registry ` +
        `that holds it, or rename the method (names starting with 'apply' are reserved for event routes).`,
    );
    this.registryName = registry.name;
  }
}

/** A convention method matches two registered type names (e.g. `Notes.Added` and `Notes_Added`): rename one type. */
export class AmbiguousConventionMethodError extends ReactiveDomainError {
  readonly code = 'AMBIGUOUS_CONVENTION_METHOD';
  constructor(
    /** The class that declares the method. */
    readonly className: string,
    /** The method, e.g. `applyNotes_Added`. */
    readonly methodName: string,
    /** The registered type names it would route. */
    readonly typeNames: readonly string[],
  ) {
    super(
      `${className}.${methodName}() matches the event types ${typeNames.map((n) => JSON.stringify(n)).join(' and ')}; ` +
        'a convention method routes one type: register them under names that do not collide, or route one explicitly',
    );
  }
}
