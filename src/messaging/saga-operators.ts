import {
  type Observable,
  type OperatorFunction,
  type Subscription,
  EMPTY,
  catchError,
  defer,
  filter,
  from,
  mergeMap,
  tap,
} from 'rxjs';
import type { Command, CorrelatedMessage, Message, MessageType } from '../core/message';
import type { CommandDispatcher } from './command-dispatcher';
import { type CommandResponse, Fail } from './command-messages';
import { MessageBuilder } from './message-builder';
import { reportUnobserved } from './report-unobserved';

/**
 * A failure inside a saga pipeline, reported instead of ending the saga (the complaint in nestjs/cqrs#1401: one
 * exception and the saga never fires again).
 */
export interface SagaFailure {
  /** `'build'`: the command factory threw; `'send'`: the command did not succeed; `'saga'`: the saga's stream errored. */
  readonly stage: 'build' | 'send' | 'saga';
  /** The triggering message (`build`), the command (`send`), or `undefined` (`saga`). */
  readonly message: Message | undefined;
  /** What was thrown: the factory's error, the response's `error` (or the send's rejection), or the stream's error. */
  readonly error: unknown;
  /** For `send`: the `Fail` or `Canceled` response. */
  readonly response?: Fail;
}

/** Receives saga failures. Without one, failures become process warnings (never silent, never a crash). */
export type SagaErrorHandler = (failure: SagaFailure) => void;

function reporter(onError: SagaErrorHandler | undefined): SagaErrorHandler {
  return (failure) => {
    if (onError) {
      try {
        onError(failure);
        return;
      } catch (callbackError) {
        reportUnobserved('saga: onError threw', callbackError);
      }
    }
    reportUnobserved(`saga: ${failure.stage} failed`, failure.error);
  };
}

/**
 * Keeps the messages that are instances of any of `types` (subclasses included), typed as their union.
 *
 * @example `bus.all$.pipe(ofType(AccountOpened, AccountClosed))`
 */
export function ofType<const Types extends readonly MessageType[]>(
  ...types: Types
): OperatorFunction<unknown, InstanceType<Types[number]>> {
  if (types.length === 1) {
    const only = types[0] as MessageType;
    return filter((value): value is InstanceType<Types[number]> => value instanceof only);
  }
  return filter((value): value is InstanceType<Types[number]> => types.some((type) => value instanceof type));
}

/** Options for {@link buildFrom}. */
export interface BuildFromOptions {
  /** Receives each failure; when omitted (or when it throws) failures are reported as process warnings. */
  readonly onError?: SagaErrorHandler;
}

/**
 * Maps each triggering message to zero or more commands built with `MessageBuilder.from(trigger)`, so correlation
 * is carried forward (correlation = the trigger's, causation = the trigger's `msgId`). A factory that throws is
 * reported (`stage: 'build'`) and skipped; the stream goes on.
 */
export function buildFrom<E extends CorrelatedMessage, C extends CorrelatedMessage>(
  factory: (trigger: E) => C | readonly C[] | undefined | null,
  options: BuildFromOptions = {},
): OperatorFunction<E, C> {
  const report = reporter(options.onError);
  return mergeMap((trigger: E): readonly C[] => {
    try {
      const produced = factory(trigger);
      if (produced === undefined || produced === null) return [];
      const builder = MessageBuilder.from(trigger);
      if (isArray(produced)) return produced.map((message) => builder.build(() => message));
      return [builder.build(() => produced)];
    } catch (error) {
      report({ stage: 'build', message: trigger, error });
      return [];
    }
  });
}

function isArray<C>(value: C | readonly C[]): value is readonly C[] {
  return Array.isArray(value);
}

/** Options for {@link sendCommands} and {@link runSaga}. */
export interface SendCommandsOptions {
  /** Receives each failure; when omitted (or when it throws) failures are reported as process warnings. */
  readonly onError?: SagaErrorHandler;
  /** Per-send timeout; the dispatcher's default when omitted. */
  readonly timeoutMs?: number;
  /**
   * Most commands in flight at once. Default 1: commands are sent one after the other, in the order the saga
   * emitted them, and responses come out in that order. Raise it for independent commands (responses then come out
   * in completion order).
   */
  readonly concurrency?: number;
}

/**
 * Sends each command through `dispatcher.trySend` and emits its response. A command that fails, is canceled or is
 * not handled is reported (`stage: 'send'`) and the stream goes on; it never errors because of a command.
 */
export function sendCommands(
  dispatcher: CommandDispatcher,
  options: SendCommandsOptions = {},
): OperatorFunction<Command, CommandResponse> {
  const report = reporter(options.onError);
  const sendOptions = options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs };
  return mergeMap(
    (command: Command) =>
      from(
        dispatcher.trySend(command, sendOptions).then(
          (response): readonly CommandResponse[] => {
            if (response instanceof Fail) {
              report({ stage: 'send', message: command, error: response.error, response });
            }
            return [response];
          },
          (error: unknown): readonly CommandResponse[] => {
            report({ stage: 'send', message: command, error });
            return [];
          },
        ),
      ).pipe(mergeMap((responses) => responses)),
    options.concurrency ?? 1,
  );
}

/**
 * Runs a saga: `saga(messages$)` receives every message published on the dispatcher's bus and returns the commands
 * to send; they are sent with {@link sendCommands}. If the saga's own stream errors (an operator threw), the error is
 * reported (`stage: 'saga'`) and the saga is subscribed again, so later messages still trigger it — unless it failed
 * before receiving anything since its last start (then it would fail forever), in which case it is reported and ends.
 * Unsubscribe the returned subscription to stop the saga.
 *
 * @example
 * ```ts
 * runSaga(dispatcher, (messages$) =>
 *   messages$.pipe(ofType(OrderPlaced), buildFrom((e) => new ReserveStock(e.orderId))));
 * ```
 */
export function runSaga(
  dispatcher: CommandDispatcher,
  saga: (messages$: Observable<Message>) => Observable<Command>,
  options: SendCommandsOptions = {},
): Subscription {
  const report = reporter(options.onError);
  let receivedSinceStart = 0;
  const messages$ = dispatcher.bus.all$.pipe(tap(() => receivedSinceStart++));
  const commands$: Observable<Command> = defer(() => {
    receivedSinceStart = 0;
    return saga(messages$);
  }).pipe(
    catchError((error: unknown, restart: Observable<Command>) => {
      report({ stage: 'saga', message: undefined, error });
      return receivedSinceStart > 0 ? restart : EMPTY;
    }),
  );
  return commands$.pipe(sendCommands(dispatcher, options)).subscribe();
}
