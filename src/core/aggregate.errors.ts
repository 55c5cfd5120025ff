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
