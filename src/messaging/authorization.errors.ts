import { ReactiveDomainError } from '../core/reactive-domain.error';

/**
 * A policy refused a command or query: the handler did not run and nothing was written. The message names the
 * message type, the principal id (or `anonymous`) and the policy's reason — never the message's fields.
 */
export class UnauthorizedError extends ReactiveDomainError {
  readonly code = 'UNAUTHORIZED';
  constructor(
    /** The refused message's class name. */
    readonly messageType: string,
    /** Id of the principal that was refused; undefined when there was none. */
    readonly principalId: string | undefined,
    /** The policy's reason. */
    readonly reason: string,
  ) {
    super(
      `${principalId === undefined ? 'Anonymous caller' : `Principal ${JSON.stringify(principalId)}`} may not ` +
        `${messageType}: ${reason}`,
    );
  }
}
