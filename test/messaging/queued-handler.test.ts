import { InvalidArgumentError } from '../../src/core/reactive-domain.error';
import {
  InMemoryBus,
  type QueueFailure,
  QueueFullError,
  QueuedHandler,
  QueueStoppedError,
} from '../../src/messaging';
import { deferred, type Deferred, flush, Ping, trackUnhandledRejections } from './fixtures';

trackUnhandledRejections();

/** A handler whose every call waits for the test to release it. */
function gatedHandler() {
  const gates: Array<Deferred> = [];
  const started: number[] = [];
  const finished: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const handler = async (n: number): Promise<void> => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    started.push(n);
    const gate = deferred();
    gates.push(gate);
    await gate.promise;
    finished.push(n);
    running--;
  };
  const releaseNext = async (): Promise<void> => {
    await flush();
    gates.shift()?.resolve();
    await flush();
  };
  return { handler, started, finished, releaseNext, maxRunning: () => maxRunning };
}

describe('QueuedHandler', () => {
  it('handles messages one at a time, in FIFO order, never on the producer stack', async () => {
    const gated = gatedHandler();
    const queue = new QueuedHandler(gated.handler);
    const admissions = [1, 2, 3].map((n) => queue.enqueue(n));
    expect(gated.started).toEqual([]); // enqueue only admitted them; nothing ran on this stack
    await Promise.all(admissions);
    await flush();
    expect(gated.started).toEqual([1]);
    expect(queue.busy).toBe(true);
    expect(queue.size).toBe(2);
    await gated.releaseNext();
    expect(gated.started).toEqual([1, 2]);
    await gated.releaseNext();
    await gated.releaseNext();
    expect(gated.finished).toEqual([1, 2, 3]);
    expect(gated.maxRunning()).toBe(1);
    expect(queue.size).toBe(0);
    expect(queue.busy).toBe(false);
  });

  it('handles synchronous handlers in order', async () => {
    const seen: number[] = [];
    const queue = new QueuedHandler<number>((n) => void seen.push(n));
    for (let i = 0; i < 100; i++) expect(queue.tryEnqueue(i)).toBe(true);
    await queue.idle();
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('idle() resolves at once when idle, else once everything queued has been handled', async () => {
    const gated = gatedHandler();
    const queue = new QueuedHandler(gated.handler);
    await queue.idle();
    await queue.enqueue(1);
    await queue.enqueue(2);
    let idle = false;
    const waiting = queue.idle().then(() => {
      idle = true;
    });
    await gated.releaseNext();
    expect(idle).toBe(false);
    await gated.releaseNext();
    await waiting;
    expect(gated.finished).toEqual([1, 2]);
  });

  it('reports handler errors on errors$ and onError, and keeps going', async () => {
    const viaStream: Array<QueueFailure<number>> = [];
    const viaCallback: Array<QueueFailure<number>> = [];
    const handled: number[] = [];
    const queue = new QueuedHandler<number>(
      async (n) => {
        if (n === 2) throw new Error('two');
        if (n === 3) return Promise.reject(new Error('three'));
        handled.push(n);
      },
      { name: 'projections', onError: (f) => viaCallback.push(f) },
    );
    queue.errors$.subscribe((f) => viaStream.push(f));
    for (const n of [1, 2, 3, 4]) await queue.enqueue(n);
    await queue.idle();
    expect(handled).toEqual([1, 4]);
    expect(viaStream).toEqual([
      { queue: 'projections', message: 2, error: new Error('two') },
      { queue: 'projections', message: 3, error: new Error('three') },
    ]);
    expect(viaCallback).toEqual(viaStream);
  });

  it('reports a failure as a process warning when nobody listens', async () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const queue = new QueuedHandler<number>(() => {
        throw new Error('lonely');
      });
      await queue.enqueue(1);
      await queue.idle();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/lonely/);
    } finally {
      warn.mockRestore();
    }
  });

  it('stop({ drain: true }) handles everything queued, then stops and refuses new messages', async () => {
    const gated = gatedHandler();
    const queue = new QueuedHandler(gated.handler, { name: 'q1' });
    for (const n of [1, 2, 3]) await queue.enqueue(n);
    await flush();
    let stopped = false;
    const stopping = queue.stop({ drain: true }).then((r) => {
      stopped = true;
      return r;
    });
    expect(queue.stopped).toBe(true);
    await expect(queue.enqueue(4)).rejects.toBeInstanceOf(QueueStoppedError);
    expect(queue.tryEnqueue(4)).toBe(false);
    await gated.releaseNext();
    await gated.releaseNext();
    expect(stopped).toBe(false);
    await gated.releaseNext();
    expect(await stopping).toEqual({ dropped: 0 });
    expect(gated.finished).toEqual([1, 2, 3]);
  });

  it('stop() drains by default', async () => {
    const seen: number[] = [];
    const queue = new QueuedHandler<number>(async (n) => void seen.push(n));
    for (const n of [1, 2, 3]) await queue.enqueue(n);
    expect(await queue.stop()).toEqual({ dropped: 0 });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stop({ drain: false }) lets the current message finish, drops the rest and reports how many', async () => {
    const gated = gatedHandler();
    const queue = new QueuedHandler(gated.handler);
    for (const n of [1, 2, 3, 4]) await queue.enqueue(n);
    await flush();
    expect(gated.started).toEqual([1]);
    let stopped = false;
    const stopping = queue.stop({ drain: false }).then((r) => {
      stopped = true;
      return r;
    });
    expect(queue.size).toBe(0);
    await flush();
    expect(stopped).toBe(false); // message 1 is still being handled
    await gated.releaseNext();
    expect(await stopping).toEqual({ dropped: 3 });
    expect(gated.finished).toEqual([1]);
    expect(gated.started).toEqual([1]);
  });

  it('stop on an idle queue resolves at once', async () => {
    const queue = new QueuedHandler<number>(() => {});
    expect(await queue.stop({ drain: false })).toEqual({ dropped: 0 });
    await expect(queue.enqueue(1)).rejects.toMatchObject({ code: 'QUEUE_STOPPED' });
  });

  it("a full bounded queue with whenFull: 'reject' rejects with QueueFullError", async () => {
    const gated = gatedHandler();
    const queue = new QueuedHandler(gated.handler, { name: 'small', capacity: 2, whenFull: 'reject' });
    await queue.enqueue(1);
    await flush(); // 1 is being handled and does not count
    await queue.enqueue(2);
    await queue.enqueue(3);
    const error = await queue.enqueue(4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect(error).toMatchObject({ code: 'QUEUE_FULL', capacity: 2, queueName: 'small' });
    expect(queue.tryEnqueue(4)).toBe(false);
    expect(queue.size).toBe(2);
  });

  it("a full bounded queue with whenFull: 'wait' admits waiting producers in order as room appears", async () => {
    const gated = gatedHandler();
    const queue = new QueuedHandler(gated.handler, { capacity: 1 });
    await queue.enqueue(1);
    await flush();
    await queue.enqueue(2);
    const admitted: number[] = [];
    const p3 = queue.enqueue(3).then(() => void admitted.push(3));
    const p4 = queue.enqueue(4).then(() => void admitted.push(4));
    expect(queue.tryEnqueue(5)).toBe(false); // producers already waiting go first
    await flush();
    expect(admitted).toEqual([]);
    await gated.releaseNext(); // 1 done, 2 starts, 3 admitted
    expect(admitted).toEqual([3]);
    await gated.releaseNext();
    expect(admitted).toEqual([3, 4]);
    await Promise.all([p3, p4]);
    await gated.releaseNext();
    await gated.releaseNext();
    expect(gated.finished).toEqual([1, 2, 3, 4]);
  });

  it('stop rejects producers still waiting for room', async () => {
    const gated = gatedHandler();
    const queue = new QueuedHandler(gated.handler, { capacity: 1 });
    await queue.enqueue(1);
    await flush();
    await queue.enqueue(2);
    const waiting = queue.enqueue(3);
    const stopping = queue.stop({ drain: true });
    await expect(waiting).rejects.toBeInstanceOf(QueueStoppedError);
    await gated.releaseNext();
    await gated.releaseNext();
    expect(await stopping).toEqual({ dropped: 0 });
    expect(gated.finished).toEqual([1, 2]);
  });

  it('validates capacity', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) {
      expect(() => new QueuedHandler(() => {}, { capacity })).toThrow(InvalidArgumentError);
    }
  });

  it('serialises bus delivery: publish waits for admission, the queue handles one message at a time', async () => {
    const bus = new InMemoryBus();
    const gated = gatedHandler();
    const queue = new QueuedHandler<number>(gated.handler, { capacity: 1 });
    bus.subscribe(Ping, (p) => queue.enqueue(p.n));
    await bus.publish(new Ping(1));
    await flush();
    await bus.publish(new Ping(2));
    let thirdAdmitted = false;
    const third = bus.publish(new Ping(3)).then(() => {
      thirdAdmitted = true;
    });
    await flush();
    expect(thirdAdmitted).toBe(false);
    await gated.releaseNext();
    await third;
    await gated.releaseNext();
    await gated.releaseNext();
    expect(gated.finished).toEqual([1, 2, 3]);
    expect(gated.maxRunning()).toBe(1);
  });
});
