import { logSafely } from '../core/logger';
import type { TransportDelivery, DeliveryHandler } from './message-transport';
import type { TransportMessage } from './transport-message';

/** What a broker adapter can do with one received message; {@link createDelivery} builds the policy on top. */
export interface DeliveryActions {
  /** Acknowledge: the group forgets the message. */
  ack(): Promise<void>;
  /** Hand the message back for another attempt. */
  retry(): Promise<void>;
  /** Publish a copy (with `reason`) to the dead-letter topic, then remove the original. */
  deadLetter(reason: string): Promise<void>;
}

/** Renders a nack or dead-letter reason for a header: `Name [CODE]: message`, at most 1,000 characters. */
export function describeReason(reason: unknown): string {
  let text: string;
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code;
    text = `${reason.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${reason.message}`;
  } else text = reason === undefined ? 'no reason given' : String(reason);
  // Header values must stay on one line for every broker.
  text = text.replace(/[\r\n]+/g, ' ');
  return text.length > 1_000 ? `${text.slice(0, 997)}...` : text;
}

/**
 * A {@link TransportDelivery} over broker actions, with the shared policy: one settlement per delivery (later calls do
 * nothing), and `nack` on the last allowed attempt dead-letters instead of retrying.
 */
export function createDelivery(
  message: TransportMessage,
  topic: string,
  attempt: number,
  maxDeliveries: number,
  actions: DeliveryActions,
): TransportDelivery {
  let settled = false;
  const once = (action: () => Promise<void>): Promise<void> => {
    if (settled) return Promise.resolve();
    settled = true;
    return action();
  };
  return {
    message,
    topic,
    attempt,
    get settled() {
      return settled;
    },
    ack: () => once(() => actions.ack()),
    nack: (reason?: unknown) =>
      once(() =>
        attempt >= maxDeliveries
          ? actions.deadLetter(`failed ${attempt} time(s), last: ${describeReason(reason)}`)
          : actions.retry(),
      ),
    deadLetter: (reason: unknown) => once(() => actions.deadLetter(describeReason(reason))),
  };
}

/**
 * Runs `handler` on `delivery`: a handler that returns without settling acks, one that throws nacks with its error.
 * Never rejects: a failure to settle is passed to `onError`.
 */
export async function runDelivery(
  delivery: TransportDelivery,
  handler: DeliveryHandler,
  onError: (error: unknown) => void,
): Promise<void> {
  try {
    await handler(delivery);
    if (!delivery.settled) await delivery.ack();
  } catch (error) {
    try {
      if (!delivery.settled) await delivery.nack(error);
      else onError(error);
    } catch (settleError) {
      onError(settleError);
    }
  }
}

/** Default error sink of a subscription without `onError`: a warning on the process-wide logger (by default a process warning), so failures are never silent. */
export function warnTransportError(transport: string, group: string): (error: unknown) => void {
  return (error) => {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logSafely(
      'warn',
      { type: 'Warning', code: 'RD_TRANSPORT', err: error },
      `Transport ${transport}, group ${group}: ${text}`,
    );
  };
}
