import type { ReactiveDomainError } from '../core/reactive-domain.error';
import { validTimeoutMs } from './deadline';
import { DEFAULT_PUBLISH_TIMEOUT_MS, type PublishOptions } from './message-transport';
import {
  PublishNotConfirmedError,
  TransportAbortedError,
  TransportClosedError,
  TransportTimeoutError,
} from './transport.errors';

/**
 * Checks that a broker publish may begin (shared by the adapters): returns its checked deadline (default
 * {@link DEFAULT_PUBLISH_TIMEOUT_MS}). @throws InvalidArgumentError for a bad deadline, TransportAbortedError when
 * `options.signal` has aborted already
 */
export function publishDeadline(
  transport: string,
  operation: string,
  options: PublishOptions | undefined,
): number {
  const timeoutMs = validTimeoutMs(options?.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS, 'publish timeoutMs');
  if (options?.signal?.aborted) throw new TransportAbortedError(transport, operation, options.signal.reason);
  return timeoutMs;
}

/**
 * What a broker publish that failed rejects with (shared by the adapters): a deadline or an abort as it is; a
 * {@link TransportClosedError} when the transport was closed meanwhile (`closed`, or the error is one); otherwise
 * {@link PublishNotConfirmedError}, since the broker never confirmed that it stored the message.
 */
export function publishFailure(
  transport: string,
  operation: string,
  topic: string,
  messageId: string,
  error: unknown,
  closed: boolean,
): ReactiveDomainError {
  if (error instanceof TransportTimeoutError || error instanceof TransportAbortedError) return error;
  if (closed || error instanceof TransportClosedError) return new TransportClosedError(transport, operation);
  return new PublishNotConfirmedError(transport, topic, messageId, error);
}
