import { Observable } from 'rxjs';
import { UnknownEventTypeError } from '../../core/event-type-registry';
import type { ReactiveDomainError } from '../../core/reactive-domain.error';
import type { StreamStore } from '../../persistence/stream-store';
import type { Checkpoint } from './checkpoint';
import { describeSource, type ListenerSource } from './listener-source';
import { reportUnobserved } from '../../messaging/report-unobserved';
import { endOf } from '../read-models/store-positions';
import type { RecordedEventDeserializer } from './recorded-event-deserializer';
import { StreamListener, type ReconnectOptions } from './stream-listener';

/** Options of {@link storedEvents$}. */
export interface StoredEventsOptions {
  /** Where to begin: after a checkpoint, from `'start'` (default), or `'end'` (only events appended from now on). */
  readonly after?: Checkpoint | 'start' | 'end';
  /** Reconnection after a dropped subscription (each field defaults as documented on {@link ReconnectOptions}). */
  readonly reconnect?: ReconnectOptions;
  /** Unregistered stored types: `error` (default) errors the observable; `skip` steps over them. */
  readonly unknownEventTypes?: 'error' | 'skip';
  /** Receives reported subscription drops (default: a process warning). Failures error the observable instead. */
  readonly onError?: (error: ReactiveDomainError) => void;
}

/**
 * The events of a source as an RxJS observable of event instances, for stateless sagas over stored events:
 *
 * ```ts
 * storedEvents$(store, ListenerSources.category('order'), serializer, { after: 'end' })
 *   .pipe(ofType(OrderPlaced), buildFrom((e) => new ReserveStock(e.orderId)), sendCommands(dispatcher))
 *   .subscribe();
 * ```
 *
 * Each subscription runs its own {@link StreamListener} (reconnecting after drops); unsubscribing stops it. The
 * observable errors when the listener fails or an event cannot be deserialised. It keeps no checkpoint: after a
 * restart it begins again where `after` says — use a `ProcessManager` when reactions must survive restarts exactly once.
 */
export function storedEvents$(
  store: StreamStore,
  source: ListenerSource,
  serializer: RecordedEventDeserializer,
  options: StoredEventsOptions = {},
): Observable<object> {
  return new Observable<object>((subscriber) => {
    let listener: StreamListener | undefined;
    let closed = false;
    const skipUnknown = options.unknownEventTypes === 'skip';
    void resolveAfter(store, source, options.after ?? 'start').then(
      (after) => {
        if (closed) return;
        listener = new StreamListener(
          store,
          source,
          (recorded) => {
            let event: object;
            try {
              event = serializer.deserialize(recorded).event;
            } catch (error) {
              if (skipUnknown && error instanceof UnknownEventTypeError) return;
              throw error;
            }
            subscriber.next(event);
          },
          {
            ...(after ? { after } : {}),
            ...(options.reconnect ? { reconnect: options.reconnect } : {}),
            onError: (error) => {
              // A failure (handler error, reconnects exhausted) ends the observable; drops are only reported.
              if (listener?.status === 'failed') subscriber.error(error);
              else if (options.onError) options.onError(error);
              else reportUnobserved(`storedEvents$(${describeSource(source)})`, error);
            },
          },
        );
        listener.start();
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => {
      closed = true;
      void listener?.stop();
    };
  });
}

async function resolveAfter(
  store: StreamStore,
  source: ListenerSource,
  after: Checkpoint | 'start' | 'end',
): Promise<Checkpoint | undefined> {
  if (after === 'start') return undefined;
  return after === 'end' ? endOf(store, source) : after;
}
