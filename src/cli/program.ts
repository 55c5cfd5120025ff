import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command as Program, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { ReactiveDomainError } from '../core/reactive-domain.error';
import type { CheckpointStore } from '../foundation/subscriptions/checkpoint-store';
import { describeCheckpoint } from '../foundation/subscriptions/checkpoint';
import type { AllFilter, RecordedEvent, StreamStore } from '../persistence/stream-store';
import { readAllEvents } from '../persistence/stream-readers';
import {
  CliUsageError,
  ConfigInvalidError,
  CorrelationNotFoundError,
  NoStoreError,
  ReadModelNotConfiguredError,
  StoreFeatureUnavailableError,
} from './cli.errors';
import { writeLine, type CliIo } from './cli-io';
import { loadConfig, type ReactiveDomainConfig } from './config';
import { openStoreUrl, type OpenedStore } from './store-url';
import { buildTraceTree, readConversation, renderMermaid, renderTree, treeToJson } from './trace-tree';
import { StreamNotFoundError } from '../persistence/stream-store.errors';

/** Options every command accepts. */
interface GlobalOptions {
  store?: string;
  config?: string;
  json?: boolean;
}

/** What a command runs against: the store, the config, and how to print. */
interface Session {
  readonly opened: OpenedStore;
  readonly config: ReactiveDomainConfig | undefined;
  readonly json: boolean;
  readonly io: CliIo;
}

const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;

/**
 * Runs the `reactive-domain` command line (`args` without the node and script paths) and resolves to the exit code.
 * Errors are printed as one line on stderr (`reactive-domain: CODE: message`); usage errors exit 2, others 1.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" that exit 0; commander already printed its message.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    writeLine(io.stderr, `reactive-domain: ${oneLine(error)}`);
    return error instanceof CliUsageError ? EXIT_USAGE : EXIT_ERROR;
  }
}

/** `CODE: message` for a library error; the message (and its cause) for anything else, on one line. */
function oneLine(error: unknown): string {
  const text = (value: unknown): string => (value instanceof Error ? value.message : String(value));
  if (error instanceof ReactiveDomainError) {
    const cause = error.cause === undefined ? '' : ` (cause: ${text(error.cause)})`;
    return `${error.code}: ${text(error)}${cause}`.replace(/\s*\n\s*/g, ' ');
  }
  const code = (error as { code?: unknown } | null)?.code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${text(error)}`.replace(/\s*\n\s*/g, ' ');
}

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    return parsed;
  };
}

/** The package's version, read from its package.json (beside dist/ and src/ alike). */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Builds the commander program. Exposed for tests; `runCli` is the entry point. */
export function createProgram(io: CliIo): Program {
  const program = new Program('reactive-domain')
    .description(
      'Inspect and operate a reactive-domain event store: streams, live tail, correlation traces, checkpoints, migrations, read-model rebuilds.',
    )
    .option(
      '-s, --store <url>',
      "store URL: sqlite:<file>, postgres://…, esdb://…, kurrentdb://… (default: $REACTIVE_DOMAIN_STORE, or the config file's store)",
    )
    .option(
      '-c, --config <file>',
      'config file (default: reactive-domain.config.{js,cjs,mjs,ts} in the working directory)',
    )
    .option('--json', 'print JSON (one document, or one JSON object per line for tail)')
    .version(packageVersion(), '-V, --version', 'print the reactive-domain version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });

  /** Runs `action` with an opened store, closing it afterwards. */
  const withSession =
    <A extends unknown[]>(action: (session: Session, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const options = program.opts<GlobalOptions>();
      const config = await loadConfig(options.config, io.cwd);
      const opened = await openConfiguredStore(options.store ?? io.env.REACTIVE_DOMAIN_STORE, config);
      try {
        await action({ opened, config, json: options.json === true, io }, ...args);
      } finally {
        await opened.close();
      }
    };

  const streams = program.command('streams').description('list and read streams');
  streams
    .command('list')
    .description('list streams with their event count, last revision and last write (scans $all)')
    .option('-p, --prefix <prefix>', 'only streams whose name starts with this prefix')
    .action(
      withSession(async (session, options: { prefix?: string }) => listStreams(session, options.prefix)),
    );
  streams
    .command('read <name>')
    .description('print the events of one stream')
    .option(
      '-f, --from <revision>',
      'first revision to print (default: the start, or the end with --backwards)',
      integer('--from', 0),
    )
    .option('-b, --backwards', 'newest first')
    .option('-n, --max <count>', 'print at most this many events', integer('--max', 1), 100)
    .action(
      withSession(
        async (session, name: string, options: { from?: number; backwards?: boolean; max: number }) =>
          readStream(session, name, options),
      ),
    );

  program
    .command('tail')
    .description('follow $all live and print each new event (Ctrl-C to stop)')
    .option('--filter <prefix>', 'only events of streams whose name starts with this prefix')
    .option('--type <prefix>', 'only events whose type starts with this prefix')
    .addOption(
      new Option('--from <where>', 'start at the end (only new events) or at the start')
        .choices(['end', 'start'])
        .default('end'),
    )
    .option('-n, --count <n>', 'stop after this many events', integer('--count', 1))
    .action(
      withSession(
        async (session, options: { filter?: string; type?: string; from: 'start' | 'end'; count?: number }) =>
          tail(session, options),
      ),
    );

  program
    .command('trace <correlationId>')
    .description(
      'print every stored message of one correlation as a causation tree: events (type, stream@revision, #position, time) ' +
        'and the commands that caused them (recorded by the recordCommands middleware, or known from their events)',
    )
    .option('--mermaid', 'print a Mermaid flowchart instead')
    .action(
      withSession(async (session, id: string, options: { mermaid?: boolean }) => trace(session, id, options)),
    );

  const checkpoints = program.command('checkpoints').description('read-model checkpoints');
  checkpoints
    .command('list')
    .description('list stored checkpoints (models with stored checkpoints, or the read models of the config)')
    .action(withSession(async (session) => listCheckpoints(session)));
  checkpoints
    .command('reset <model>')
    .description('delete the stored checkpoints of a model: it replays from the start at its next start')
    .option('-y, --yes', 'confirm (required: this cannot be undone)')
    .action(
      withSession(async (session, model: string, options: { yes?: boolean }) =>
        resetCheckpoints(session, model, options),
      ),
    );

  program
    .command('migrate')
    .description('create or upgrade the schema of a SQL store')
    .action(withSession(async (session) => migrate(session)));

  program
    .command('rebuild <readModel>')
    .description('rebuild a read model named in the config file from the start, with progress')
    .option('--every <n>', 'report progress every n events', integer('--every', 1), 1000)
    .action(
      withSession(async (session, name: string, options: { every: number }) =>
        rebuild(session, name, options.every),
      ),
    );

  return program;
}

async function openConfiguredStore(
  url: string | undefined,
  config: ReactiveDomainConfig | undefined,
): Promise<OpenedStore> {
  if (url) return openStoreUrl(url);
  const configured = config?.store;
  if (configured === undefined) throw new NoStoreError();
  if (typeof configured === 'string') return openStoreUrl(configured);
  const store = typeof configured === 'function' ? await configured() : configured;
  if (!store || typeof (store as StreamStore).readAll !== 'function') {
    throw new ConfigInvalidError(
      "The config file's store must be a URL, a StreamStore, or a function returning one",
    );
  }
  return { store, label: "the config file's store", close: () => store.close() };
}

// ---- commands ------------------------------------------------------------------------------------------------------

async function listStreams({ opened, json, io }: Session, prefix: string | undefined): Promise<void> {
  const streams = new Map<
    string,
    { events: number; lastRevision: number; lastPosition: bigint; lastWrite: Date }
  >();
  const filter: AllFilter | undefined = prefix ? { on: 'streamName', prefixes: [prefix] } : undefined;
  for await (const event of readAllEvents(opened.store, { pageSize: 1000, ...(filter ? { filter } : {}) })) {
    const entry = streams.get(event.streamName);
    if (entry) {
      entry.events++;
      entry.lastRevision = Math.max(entry.lastRevision, event.revision);
      entry.lastPosition = event.position;
      entry.lastWrite = event.created;
    } else {
      streams.set(event.streamName, {
        events: 1,
        lastRevision: event.revision,
        lastPosition: event.position,
        lastWrite: event.created,
      });
    }
  }
  const rows = [...streams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (json) {
    const out = rows.map(([stream, s]) => ({
      stream,
      events: s.events,
      lastRevision: s.lastRevision,
      lastPosition: s.lastPosition.toString(),
      lastWrite: s.lastWrite.toISOString(),
    }));
    writeLine(io.stdout, JSON.stringify(out));
    return;
  }
  const width = Math.max(6, ...rows.map(([name]) => name.length));
  writeLine(
    io.stdout,
    `${'STREAM'.padEnd(width)}  ${'EVENTS'.padStart(7)}  ${'LAST REV'.padStart(8)}  LAST WRITE`,
  );
  for (const [name, s] of rows) {
    writeLine(
      io.stdout,
      `${name.padEnd(width)}  ${String(s.events).padStart(7)}  ${String(s.lastRevision).padStart(8)}  ${s.lastWrite.toISOString()}`,
    );
  }
  writeLine(
    io.stderr,
    `${rows.length} stream(s) in ${opened.label}${prefix ? ` with prefix ${JSON.stringify(prefix)}` : ''}`,
  );
}

function eventJson(event: RecordedEvent): Record<string, unknown> {
  return {
    stream: event.streamName,
    revision: event.revision,
    position: event.position.toString(),
    eventId: event.eventId,
    type: event.type,
    created: event.created.toISOString(),
    data: parseOrText(event.data),
    metadata: parseOrText(event.metadata),
  };
}

function parseOrText(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

function eventLine(event: RecordedEvent): string {
  const metadata = parseOrText(event.metadata) as
    { $correlationId?: unknown; $causationId?: unknown } | string;
  const ids =
    typeof metadata === 'object' && metadata !== null
      ? ` corr=${String(metadata.$correlationId ?? '-')} cause=${String(metadata.$causationId ?? '-')}`
      : '';
  return `${event.created.toISOString()}  ${event.streamName}@${event.revision}  #${event.position}  ${event.type}  ${event.eventId}${ids}\n    ${event.data}`;
}

async function readStream(
  { opened, json, io }: Session,
  name: string,
  options: { from?: number; backwards?: boolean; max: number },
): Promise<void> {
  const direction = options.backwards ? 'backwards' : 'forwards';
  let from: number | 'start' | 'end' = options.from ?? (options.backwards ? 'end' : 'start');
  let remaining = options.max;
  const out: RecordedEvent[] = [];
  while (remaining > 0) {
    const result = await opened.store.readStream(name, {
      direction,
      fromRevision: from,
      maxCount: Math.min(remaining, 500),
    });
    if (result.status === 'not_found') throw new StreamNotFoundError(name);
    if (result.status === 'deleted')
      throw new StoreFeatureUnavailableError(`Stream ${JSON.stringify(name)} is deleted (tombstoned)`);
    out.push(...result.events);
    remaining -= result.events.length;
    if (result.isEndOfStream || result.events.length === 0) break;
    const last = result.events[result.events.length - 1]!.revision;
    from = options.backwards ? last - 1 : last + 1;
    if (from < 0) break;
  }
  if (json) {
    writeLine(io.stdout, JSON.stringify(out.map(eventJson)));
    return;
  }
  for (const event of out) writeLine(io.stdout, eventLine(event));
}

async function tail(
  { opened, json, io }: Session,
  options: { filter?: string; type?: string; from: 'start' | 'end'; count?: number },
): Promise<void> {
  if (options.filter && options.type) throw new CliUsageError('tail: give --filter or --type, not both');
  const filter: AllFilter | undefined = options.filter
    ? { on: 'streamName', prefixes: [options.filter] }
    : options.type
      ? { on: 'eventType', prefixes: [options.type] }
      : undefined;
  let seen = 0;
  let finish!: (error?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  const subscription = opened.store.subscribeToAll(
    { after: options.from, ...(filter ? { filter } : {}) },
    {
      onEvent: (event) => {
        if (options.count !== undefined && seen >= options.count) return; // closing: print no more
        writeLine(io.stdout, json ? JSON.stringify(eventJson(event)) : eventLine(event));
        if (options.count !== undefined && ++seen >= options.count) finish();
      },
      onLive: () => {
        if (!json)
          writeLine(
            io.stderr,
            `tailing ${opened.label}${filter ? ` (${filter.on} ${filter.prefixes[0]}…)` : ''}; Ctrl-C to stop`,
          );
      },
      onDropped: (error) => finish(error),
    },
  );
  void io.interrupted.then(() => finish());
  try {
    await done;
  } finally {
    await subscription.close();
  }
}

async function trace(
  { opened, json, io }: Session,
  correlationId: string,
  options: { mermaid?: boolean },
): Promise<void> {
  const { events, scanned } = await readConversation(opened.store, correlationId);
  if (events.length === 0) throw new CorrelationNotFoundError(correlationId, scanned);
  const tree = buildTraceTree(correlationId, events, scanned);
  if (json) writeLine(io.stdout, JSON.stringify(treeToJson(tree)));
  else if (options.mermaid) writeLine(io.stdout, renderMermaid(tree));
  else {
    writeLine(io.stdout, renderTree(tree));
    const inferred = [...tree.nodes.values()].filter((node) => node.source === 'inferred').length;
    writeLine(
      io.stderr,
      `${events.length} stored message(s) of correlation ${correlationId} (${scanned} events scanned)` +
        (inferred > 0
          ? `; ${inferred} command(s) known only from their events' causation ids (add the recordCommands middleware to record commands)`
          : ''),
    );
  }
}

async function checkpointStoreOf(session: Session): Promise<CheckpointStore> {
  const configured = session.config?.checkpoints;
  if (configured !== undefined) {
    return typeof configured === 'function' ? configured({ store: session.opened.store }) : configured;
  }
  if (session.opened.checkpoints) return session.opened.checkpoints;
  throw new StoreFeatureUnavailableError(
    `${session.opened.label} has no checkpoint store: use a SQL store, or export checkpoints from the config file`,
  );
}

async function listCheckpoints(session: Session): Promise<void> {
  const store = await checkpointStoreOf(session);
  const names = new Set<string>(Object.keys(session.config?.readModels ?? {}));
  if (session.opened.listCheckpointModels && !session.config?.checkpoints) {
    for (const name of await session.opened.listCheckpointModels()) names.add(name);
  }
  const rows: Array<{ model: string; source: string; checkpoint: string }> = [];
  for (const model of [...names].sort()) {
    const stored = await store.load(model);
    if (stored.size === 0) rows.push({ model, source: '-', checkpoint: 'none (starts from the beginning)' });
    for (const [source, checkpoint] of stored)
      rows.push({ model, source, checkpoint: describeCheckpoint(checkpoint) });
  }
  if (session.json) {
    writeLine(session.io.stdout, JSON.stringify(rows));
    return;
  }
  const width = Math.max(5, ...rows.map((row) => row.model.length));
  const sourceWidth = Math.max(6, ...rows.map((row) => row.source.length));
  writeLine(session.io.stdout, `${'MODEL'.padEnd(width)}  ${'SOURCE'.padEnd(sourceWidth)}  CHECKPOINT`);
  for (const row of rows)
    writeLine(
      session.io.stdout,
      `${row.model.padEnd(width)}  ${row.source.padEnd(sourceWidth)}  ${row.checkpoint}`,
    );
  if (rows.length === 0) writeLine(session.io.stderr, 'no checkpoints found');
}

async function resetCheckpoints(session: Session, model: string, options: { yes?: boolean }): Promise<void> {
  if (!options.yes)
    throw new CliUsageError(`checkpoints reset ${model}: add --yes to delete its checkpoints`);
  const store = await checkpointStoreOf(session);
  const before = await store.load(model);
  await store.delete(model);
  if (session.json) writeLine(session.io.stdout, JSON.stringify({ model, deleted: before.size }));
  else
    writeLine(
      session.io.stdout,
      `deleted ${before.size} checkpoint(s) of ${model}: it replays from the start at its next start`,
    );
}

async function migrate(session: Session): Promise<void> {
  if (!session.opened.migrate)
    throw new StoreFeatureUnavailableError(
      `${session.opened.label} has no schema to migrate (only the SQL stores do)`,
    );
  const done = await session.opened.migrate();
  if (session.json) writeLine(session.io.stdout, JSON.stringify({ migrated: true, detail: done }));
  else writeLine(session.io.stdout, done);
}

async function rebuild(session: Session, name: string, every: number): Promise<void> {
  const factories = session.config?.readModels ?? {};
  const factory = Object.prototype.hasOwnProperty.call(factories, name) ? factories[name] : undefined;
  if (!factory) throw new ReadModelNotConfiguredError(name, Object.keys(factories));
  const checkpoints = await checkpointStoreOf(session).catch(() => undefined);
  const configured = await factory({ store: session.opened.store, checkpoints });
  if (!configured?.model || !Array.isArray(configured.sources)) {
    throw new ConfigInvalidError(`Config read model ${JSON.stringify(name)} must return { model, sources }`);
  }
  const { model, sources } = configured;
  const io = session.io;
  const tty = io.stderr.isTTY === true && !session.json;
  const bar = tty
    ? new SingleBar({
        stream: io.stderr,
        format: `rebuild ${name} [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
      })
    : undefined;
  const started = performance.now();
  let barStarted = false;
  let lastReported = -1;
  const rate = (handled: number): number =>
    Math.round(handled / Math.max((performance.now() - started) / 1000, 1e-3));
  try {
    await model.start(...sources);
    const result = await model.rebuild({
      progressEvery: every,
      onProgress: ({ handled, total }) => {
        if (bar) {
          if (!barStarted) {
            bar.start(total ?? handled, 0, { rate: 0 });
            barStarted = true;
          }
          if (total !== undefined && handled > total) bar.setTotal(handled);
          bar.update(handled, { rate: rate(handled) });
        } else if (!session.json && handled !== lastReported) {
          lastReported = handled;
          writeLine(
            io.stderr,
            `rebuild ${name}: ${handled}${total === undefined ? '' : `/${total}`} events, ${rate(handled)} ev/s`,
          );
        }
      },
    });
    bar?.stop();
    const seconds = (performance.now() - started) / 1000;
    if (session.json) {
      writeLine(
        io.stdout,
        JSON.stringify({ readModel: name, handled: result.handled, total: result.total ?? null, seconds }),
      );
    } else {
      writeLine(io.stdout, `rebuilt ${name}: ${result.handled} events in ${seconds.toFixed(2)} s`);
    }
  } finally {
    bar?.stop();
    await model.stop();
  }
}
