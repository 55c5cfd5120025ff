import {
  getLogger,
  logSafely,
  processWarningLogger,
  setLogger,
  type LogFields,
  type Logger,
} from '../../src/core/logger';
import { InMemoryBus } from '../../src/messaging';
import { InMemoryStreamStore } from '../../src/persistence';

/** A pino-shaped logger that records what it is given. */
function recordingLogger(): Logger & { entries: Array<[string, LogFields, string]> } {
  const entries: Array<[string, LogFields, string]> = [];
  const at =
    (level: string) =>
    (fields: LogFields, message: string): void =>
      void entries.push([level, fields, message]);
  return { entries, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(() => setLogger(undefined));

describe('Logger port', () => {
  it('defaults to process warnings with type, code and detail', () => {
    expect(getLogger()).toBe(processWarningLogger);
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      processWarningLogger.warn({ type: 'SomeWarning', code: 'SOME_CODE', detail: 'more' }, 'it happened');
      processWarningLogger.warn({}, 'plain');
      const error = new Error('exactly this error');
      processWarningLogger.error({ err: error }, error.message);
      processWarningLogger.info({}, 'dropped');
      processWarningLogger.debug({}, 'dropped');
      expect(emit.mock.calls).toEqual([
        ['it happened', { type: 'SomeWarning', code: 'SOME_CODE', detail: 'more' }],
        ['plain', { type: 'ReactiveDomainWarning' }],
        [error],
      ]);
    } finally {
      emit.mockRestore();
    }
  });

  it('setLogger sends the library’s operational messages to a pino-compatible logger instead', async () => {
    const logger = recordingLogger();
    setLogger(logger);
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      // An unobserved bus handler failure...
      const bus = new InMemoryBus('logged');
      class Ping {
        msgId = 'p1';
      }
      bus.subscribe(Ping, () => {
        throw new Error('handler broke');
      });
      await bus.publish(new Ping());
      // ...and a subscription drop without onDropped.
      const store = new InMemoryStreamStore();
      await store.appendToStream('s-1', 'any', [
        { eventId: crypto.randomUUID(), type: 'T', data: '{}', metadata: '{}' },
      ]);
      store.subscribeToStream(
        's-1',
        { after: 'start' },
        {
          onEvent: () => {
            throw new Error('onEvent broke');
          },
        },
      );
      await eventually(() => logger.entries.length >= 2, 'two log entries');
      expect(emit).not.toHaveBeenCalled();
      const [unobserved, dropped] = logger.entries;
      expect(unobserved![0]).toBe('error');
      expect(unobserved![1]).toMatchObject({ type: 'ReactiveDomainUnobservedError' });
      expect(unobserved![2]).toMatch(/handler broke/);
      expect(dropped![0]).toBe('warn');
      expect(dropped![1]).toMatchObject({ type: 'SubscriptionDroppedError', code: 'SUBSCRIPTION_DROPPED' });
      expect(dropped![1].detail).toMatch(/onEvent broke/);
      await store.close();
    } finally {
      emit.mockRestore();
    }
  });

  it('a logger that throws falls back to process warnings: reporting never throws', () => {
    setLogger({
      ...recordingLogger(),
      warn: () => {
        throw new Error('logger down');
      },
    });
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(() => logSafely('warn', { type: 'X' }, 'message')).not.toThrow();
      expect(emit.mock.calls.map((call) => call[0])).toEqual([
        'message',
        'the configured logger threw: logger down',
      ]);
    } finally {
      emit.mockRestore();
    }
  });
});
