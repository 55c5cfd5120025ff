import { ReactiveDomainError, keepOutOfLogs } from '../core/reactive-domain.error';
import type { Message } from '../core/message';
import { describeType } from './describe-type';

/** No handler is registered for the query's exact type. */
export class QueryNotHandledError extends ReactiveDomainError {
  readonly code = 'QUERY_NOT_HANDLED';
  constructor(
    /** The query nobody handles. */
    readonly query: Message,
  ) {
    super(`No handler is registered for query ${describeType((query as object).constructor)} ${query.msgId}`);
    keepOutOfLogs(this, 'query'); // its fields may be personal data
  }
}
