import { DuplicateRouteError } from './aggregate.errors';
import type { EventDrivenStateMachine } from './event-driven-state-machine';
import type { MessageType } from './message';

/**
 * An entity inside an aggregate. It raises events through its root and receives them through the root's routing,
 * so the aggregate stays the single place where events are recorded and versioned. A root may hold several children
 * of one class: each child's routes see every event of the registered types and must ignore the ones that are not
 * its own (compare ids).
 */
export abstract class ChildEntity<TId extends string = string> {
  readonly #routed = new Set<Function>();

  constructor(
    /** The child's id within its root; routes compare it to tell their own events from a sibling's. */
    readonly id: TId,
    /** The aggregate (or state machine) that records and routes this child's events. */
    protected readonly root: EventDrivenStateMachine,
  ) {}

  /** Routes events of exactly `type` (applied to the root) to this child. */
  protected register<E extends object>(type: MessageType<E>, route: (event: E) => void): void {
    if (this.#routed.has(type)) {
      throw new DuplicateRouteError(
        { aggregateType: this.constructor.name, aggregateId: this.id },
        `child entity already routes ${type.name}`,
      );
    }
    this.#routed.add(type);
    this.root.addChildRoute(type, route as (event: object) => void);
  }

  /** Raises an event through the root (applied to the root and every child route, then recorded by the root). */
  protected raise(event: object): void {
    this.root.raiseFromChild(event);
  }
}
