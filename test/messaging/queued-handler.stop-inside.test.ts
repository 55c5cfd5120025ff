import { QueueStopInsideHandlerError, QueuedHandler } from '../../src/messaging';
import { flush, trackUnhandledRejections } from './fixtures';

trackUnhandledRejections();

/** Resolves 'settled' when `promise` settles, 'deadlocked' if it has not after a generous deadline. */
async function settlesOrDeadlocks(promise: Promise<unknown>): Promise<'settled' | 'deadlocked'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadlocked'>((resolve) => {
    timer = setTimeout(() => resolve('deadlocked'), 5_000);
  });
  try {
    return await Promise.race([promise.then(() => 'settled' as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('QueuedHandler.stop() from inside its own handler', () => {
  it('an awaited draining stop is refused with a typed error instead of waiting for itself; the queue still drains', async () => {
    const handled: number[] = [];
    let stopError: unknown;
    let handlerDone!: () => void;
    const done = new Promise<void>((resolve) => (handlerDone = resolve));
    const queue: QueuedHandler<number> = new QueuedHandler<number>(async (n) => {
      handled.push(n);
      if (n === 1) {
        try {
          await queue.stop();
        } catch (error) {
          stopError = error;
        }
        handlerDone();
      }
    });
    // Both queued before the handler starts (it never runs on the producer's stack).
    expect(queue.tryEnqueue(1) && queue.tryEnqueue(2)).toBe(true);
    expect(await settlesOrDeadlocks(done)).toBe('settled');
    expect(stopError).toBeInstanceOf(QueueStopInsideHandlerError);
    expect((stopError as QueueStopInsideHandlerError).code).toBe('QUEUE_STOP_INSIDE_HANDLER');
    await queue.idle();
    expect(handled).toEqual([1, 2]); // drained
    expect(queue.stopped).toBe(true);
    await expect(queue.enqueue(3)).rejects.toThrow(/stopped/);
  });

  it('stop({ drain: false }) from the handler resolves at once and drops the rest', async () => {
    const handled: number[] = [];
    let result: unknown;
    const queue: QueuedHandler<number> = new QueuedHandler<number>(async (n) => {
      handled.push(n);
      if (n === 1) result = await queue.stop({ drain: false });
    });
    for (const n of [1, 2, 3]) queue.tryEnqueue(n);
    await queue.idle();
    expect(result).toEqual({ dropped: 2 });
    expect(handled).toEqual([1]);
  });

  it('void queue.stop() from the handler stops quietly (no unhandled rejection)', async () => {
    const handled: number[] = [];
    const queue: QueuedHandler<number> = new QueuedHandler<number>((n) => {
      handled.push(n);
      if (n === 1) void queue.stop();
    });
    queue.tryEnqueue(1);
    queue.tryEnqueue(2);
    await queue.idle();
    await flush();
    expect(handled).toEqual([1, 2]);
    expect(queue.stopped).toBe(true);
  });

  it('a stop from outside while a message is handled still waits for it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new QueuedHandler<number>(() => gate);
    await queue.enqueue(1);
    await flush();
    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });
});
