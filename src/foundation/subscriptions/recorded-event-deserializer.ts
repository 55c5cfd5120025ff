import type { EventTypeRegistry } from '../../core/event-type-registry';
import type { RecordedEvent } from '../../persistence/stream-store';

/**
 * Turns a stored event back into an event instance. `EventSerializer` (persistence) implements it; reading a type
 * name that is not registered must throw `UnknownEventTypeError`.
 */
export interface RecordedEventDeserializer {
  /** Restores one stored event; throws for a type name that is not registered. */
  deserialize(recorded: RecordedEvent): {
    /** The restored event instance. */
    readonly event: object;
  };
  /** The registry it resolves type names with, when it exposes one (checked against the model's). */
  readonly registry?: EventTypeRegistry;
}
