import { Command, Event, MessageBase } from '../../src/core/message';

/** A promise with its resolve/reject exposed, so tests control when async work finishes (no sleeps). */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask and one macrotask turn run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Records `unhandledRejection` events for the lifetime of a test file. Call in the file's top level; assert
 * `rejections` is empty in an `afterAll` (after a final flush).
 */
export function trackUnhandledRejections(): { readonly rejections: unknown[] } {
  const rejections: unknown[] = [];
  const listener = (reason: unknown): void => {
    rejections.push(reason);
  };
  beforeAll(() => process.on('unhandledRejection', listener));
  afterAll(async () => {
    await flush();
    await flush();
    process.off('unhandledRejection', listener);
    expect(rejections).toEqual([]);
  });
  return { rejections };
}

export class AccountEvent extends Event {
  constructor(readonly accountId: string) {
    super();
  }
}
export class AccountOpened extends AccountEvent {}
export class PremiumAccountOpened extends AccountOpened {}
export class AccountClosed extends AccountEvent {}
export class Ping extends MessageBase {
  constructor(readonly n: number) {
    super();
  }
}

export class OpenAccount extends Command {
  constructor(readonly accountId: string) {
    super();
  }
}
export class OpenPremiumAccount extends OpenAccount {}
export class CloseAccount extends Command {
  constructor(readonly accountId: string) {
    super();
  }
}
