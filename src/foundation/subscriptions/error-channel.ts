import { Subject, type Observable } from 'rxjs';
import type { ReactiveDomainError } from '../../core/reactive-domain.error';
import { reportUnobserved } from '../../messaging/report-unobserved';

/**
 * Where a listener or read model reports failures: an `onError` callback and/or the `errors$` observable; when
 * neither is listening, a process warning — so a failure is never silent and never an unhandled rejection.
 */
export class ErrorChannel {
  private readonly subject = new Subject<ReactiveDomainError>();
  /** Every reported error, as it happens (hot: no replay). */
  readonly errors$: Observable<ReactiveDomainError> = this.subject.asObservable();

  constructor(
    private readonly origin: string,
    private readonly onError?: (error: ReactiveDomainError) => void,
  ) {}

  report(error: ReactiveDomainError): void {
    let observed = false;
    if (this.onError) {
      observed = true;
      try {
        this.onError(error);
      } catch (callbackError) {
        reportUnobserved(`${this.origin} onError callback threw`, callbackError);
      }
    }
    if (this.subject.observed) {
      observed = true;
      this.subject.next(error);
    }
    if (!observed) reportUnobserved(this.origin, error);
  }

  complete(): void {
    this.subject.complete();
  }
}

/** A promise settled from outside, already marked handled so a rejection nobody awaits is not a crash. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (value) => {
        if (this.settled) return;
        this.settled = true;
        resolve(value);
      };
      this.reject = (error) => {
        if (this.settled) return;
        this.settled = true;
        reject(error);
      };
    });
    this.promise.catch(() => undefined);
  }
}
