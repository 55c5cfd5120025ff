/**
 * Workload 7 — the cost of observability hooks: command sends through the dispatcher with no middleware (the
 * baseline), one pass-through middleware, the OpenTelemetry middleware with no provider registered (one check), and
 * recording to an in-memory span exporter; and appends to the in-memory store, plain vs wrapped by `traceStore`
 * with no provider registered.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { emit, runCase, scaled, type CaseResult, type Contender } from '../lib/harness';
import { Command } from '../../dist/core';
import { CommandDispatcher, Success } from '../../dist/messaging';
import { InMemoryStreamStore, type StreamStore } from '../../dist/persistence';
import { ReactiveDomainTelemetry } from '../../dist/adapters/otel';

// The OpenTelemetry SDK is a dev dependency of the library, not of the bench: load it from the library's install.
const ROOT_MODULES = join(resolve(__dirname, '../..'), 'node_modules');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const traceSdk = require(join(ROOT_MODULES, '@opentelemetry/sdk-trace-base')) as {
  BasicTracerProvider: new (config: object) => { forceFlush(): Promise<void> };
  InMemorySpanExporter: new () => { reset(): void; getFinishedSpans(): unknown[] };
  SimpleSpanProcessor: new (exporter: object) => object;
};

const COMMANDS = scaled(100_000, 10_000);
const APPENDS = scaled(50_000, 5_000);

class Ping extends Command {
  constructor(readonly n: number) {
    super();
  }
}

function dispatcherWith(setup: (dispatcher: CommandDispatcher) => void): CommandDispatcher {
  const dispatcher = new CommandDispatcher();
  dispatcher.register(Ping, () => undefined);
  setup(dispatcher);
  return dispatcher;
}

async function main(): Promise<void> {
  let dispatcher = new CommandDispatcher();
  const sendAll = async () => {
    for (let i = 0; i < COMMANDS; i++) {
      const response = await dispatcher.send(new Ping(i));
      if (!(response instanceof Success)) throw new Error('not a success');
    }
  };
  const exporter = new traceSdk.InMemorySpanExporter();
  const recordingProvider = new traceSdk.BasicTracerProvider({
    spanProcessors: [new traceSdk.SimpleSpanProcessor(exporter)],
  });
  const sendContender = (name: string, role: 'us' | 'floor', note: string, setup: (d: CommandDispatcher) => void): Contender => ({
    name,
    role,
    note,
    beforeEach: () => {
      exporter.reset();
      dispatcher = dispatcherWith(setup);
    },
    fn: sendAll,
  });
  const commands: CaseResult = await runCase({
    id: 'observability-send',
    title: `Observability cost on send: ${COMMANDS.toLocaleString('en')} commands to a no-op handler`,
    unit: 'commands',
    units: COMMANDS,
    contenders: [
      sendContender('dispatcher, no middleware', 'floor', 'CommandDispatcher.send -> no-op handler, nothing registered with use()', () => undefined),
      sendContender('dispatcher, empty pipeline (middleware added and removed)', 'us', 'use() then unsubscribe: the list is empty again', (d) =>
        d.use((_c, next) => next()).unsubscribe(),
      ),
      sendContender('dispatcher, one pass-through middleware', 'us', 'use((context, next) => next())', (d) => void d.use((_c, next) => next())),
      sendContender('dispatcher, OpenTelemetry middleware, no provider registered', 'us', 'telemetry.instrument({ dispatcher }) with no tracer or meter provider: one check, then next()', (d) =>
        void new ReactiveDomainTelemetry().instrument({ dispatcher: d }),
      ),
      sendContender('dispatcher, OpenTelemetry middleware, recording spans', 'us', 'same with a BasicTracerProvider + SimpleSpanProcessor + InMemorySpanExporter: one span per command', (d) =>
        void new ReactiveDomainTelemetry({ tracerProvider: recordingProvider as never }).instrument({ dispatcher: d }),
      ),
    ],
    comparisons: [
      { us: 'dispatcher, empty pipeline (middleware added and removed)', peers: [], floor: 'dispatcher, no middleware' },
      { us: 'dispatcher, one pass-through middleware', peers: [], floor: 'dispatcher, no middleware' },
      { us: 'dispatcher, OpenTelemetry middleware, no provider registered', peers: [], floor: 'dispatcher, no middleware' },
      { us: 'dispatcher, OpenTelemetry middleware, recording spans', peers: [], floor: 'dispatcher, no middleware' },
    ],
    iterations: 6,
    rounds: 3,
    timeMs: 0,
    warmupIterations: 1,
    notes: ['"vs floor" here is the throughput relative to the dispatcher with nothing registered: 1.00x means no measurable cost.'],
  });

  let store: StreamStore = new InMemoryStreamStore();
  const appendAll = async () => {
    for (let i = 0; i < APPENDS; i++) {
      await store.appendToStream(`s-${i % 1000}`, 'any', [
        { eventId: randomUUID(), type: 'T', data: '{"n":1}', metadata: '{"$correlationId":"c"}' },
      ]);
    }
  };
  const appends: CaseResult = await runCase({
    id: 'observability-append',
    title: `Observability cost on append: ${APPENDS.toLocaleString('en')} single-event appends, in-memory store`,
    unit: 'appends',
    units: APPENDS,
    contenders: [
      { name: 'in-memory store', role: 'floor', note: 'InMemoryStreamStore.appendToStream', beforeEach: () => void (store = new InMemoryStreamStore()), fn: appendAll },
      {
        name: 'traceStore(in-memory store), no provider registered',
        role: 'us',
        note: 'telemetry.traceStore(store) with no tracer or meter provider: one check, then the wrapped store',
        beforeEach: () => void (store = new ReactiveDomainTelemetry().traceStore(new InMemoryStreamStore())),
        fn: appendAll,
      },
    ],
    comparisons: [{ us: 'traceStore(in-memory store), no provider registered', peers: [], floor: 'in-memory store' }],
    iterations: 6,
    rounds: 3,
    timeMs: 0,
    warmupIterations: 1,
  });
  emit('observability', [commands, appends]);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
