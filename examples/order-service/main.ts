/**
 * The order service, end to end: `npm run demo`.
 *
 * Runs on SQLite in `.data/order-service.sqlite` (git-ignored) by default, so a second run resumes where the first
 * stopped: the saga continues from its stored checkpoint and the read model shows the earlier orders beside the new
 * ones (`--reset` starts from an empty file, `--file <path>` uses another one; `--in-memory` or `--store memory`
 * keeps nothing). On PostgreSQL with `npm run demo -- --store postgres` (or when `PG_URL` is set;
 * default URL the local server, schema `order_service_demo` or `PG_SCHEMA`, migrated on start); on
 * EventStoreDB/KurrentDB when `EVENTSTORE_URL` is set (e.g. `EVENTSTORE_URL=esdb://localhost:2113?tls=false npm run demo`). Prints what happens: the commands sent,
 * the events appended (stream@revision), the read model's answers and the correlation chain of one order.
 * Exits 0 when every expected outcome was observed, 1 otherwise.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import {
  COMMAND_RECORDED,
  Fail,
  InMemoryStreamStore,
  MessageBuilder,
  PROCESS_INPUT_RECEIVED,
  type CheckpointStore,
  type Command,
  type RecordedEvent,
  type StreamStore,
} from './reactive-domain';
import { CancelOrder, PlaceOrder, ShipOrder, StockProduct } from './commands';
import { OrderLine } from './events';
import { EmptyOrderError, OrderStatusError } from './errors';
import { CustomerId, MAIN_WAREHOUSE, OrderId, ProductId } from './ids';
import { GetOrder, ListOrders, type OrderSummary } from './order-summaries';
import { createOrderService, type OrderService } from './order-service';
import { InMemoryPaymentGateway } from './payment';
import { Warehouse } from './warehouse';

const WATCHDOG_MS = 20_000;

const short = (id: string | undefined): string => (id === undefined ? '-' : id.slice(-6));
const money = (cents: number): string => `$${(cents / 100).toFixed(2)}`;
/** Names for ids the reader knows (the products); every other UUID is shown by its last six characters. */
const names = new Map<string, string>();
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const humanize = (text: string): string => text.replace(UUID, (id) => names.get(id) ?? `…${short(id)}`);
const log = (line = ''): void => void process.stdout.write(`${humanize(line)}\n`);
/** The fulfillment process manager's own bookkeeping (which inputs it handled): not part of the story. */
const isBookkeeping = (event: RecordedEvent): boolean => event.type === PROCESS_INPUT_RECEIVED;

const DEFAULT_SQLITE_FILE = resolve(__dirname, '../../.data/order-service.sqlite');

/** `--store <name>` from the command line (`npm run demo -- --store postgres`), if given; `--in-memory` = memory. */
function storeFlag(): string | undefined {
  const args = process.argv.slice(2);
  if (args.includes('--in-memory')) return 'memory';
  const at = args.findIndex((arg) => arg === '--store' || arg.startsWith('--store='));
  if (at < 0) return undefined;
  const value = args[at]!.includes('=') ? args[at]!.slice('--store='.length) : args[at + 1];
  if (value !== 'sqlite' && value !== 'memory' && value !== 'postgres' && value !== 'eventstoredb') {
    throw new Error(`--store must be sqlite, memory, postgres or eventstoredb, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The SQLite file: `--file <path>`, else `.data/order-service.sqlite`. */
function sqliteFile(): string {
  const args = process.argv.slice(2);
  const at = args.indexOf('--file');
  return at >= 0 && args[at + 1] ? resolve(args[at + 1]!) : DEFAULT_SQLITE_FILE;
}

/** An open store, what to call it on the first line, and what closes it. */
interface OpenedStore {
  readonly store: StreamStore;
  /** First line of the output: `store: <where> (<what it held>)`. */
  readonly description: string;
  /** Where the saga keeps its checkpoints (SQLite only here). */
  readonly checkpoints?: CheckpointStore;
  /** The store's URL for the `reactive-domain` CLI, when the store outlives the demo. */
  readonly cliUrl?: string;
  close(): Promise<void>;
}

async function openSqlite(): Promise<OpenedStore> {
  // Loaded only here: better-sqlite3 is not needed for the other stores.
  const { SqliteDatabase, SqliteStreamStore, SqliteCheckpointStore } =
    await import('./reactive-domain-sqlite.js');
  const file = sqliteFile();
  if (process.argv.includes('--reset'))
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  mkdirSync(dirname(file), { recursive: true });
  const database = SqliteDatabase.open(file);
  const store = new SqliteStreamStore({ database });
  const earlier = await store.countEvents();
  const shown = relative(process.cwd(), file);
  return {
    store,
    description: `${shown === '' || shown.startsWith('..') ? file : shown} (${earlier} events from earlier runs)`,
    cliUrl: `sqlite:${shown === '' || shown.startsWith('..') ? file : shown}`,
    checkpoints: new SqliteCheckpointStore(database),
    close: async () => {
      await store.close();
      database.close();
    },
  };
}

const hideCredentials = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');
/** Hides only a password (a URL to copy keeps its user name). */
const hidePassword = (url: string): string => url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');

async function openStore(): Promise<OpenedStore> {
  const flag = storeFlag();
  const pgUrl = process.env.PG_URL;
  const esdbUrl = process.env.EVENTSTORE_URL;
  const kind = flag ?? (pgUrl ? 'postgres' : esdbUrl ? 'eventstoredb' : 'sqlite');
  if (kind === 'sqlite') return openSqlite();
  if (kind === 'memory') {
    const memory = new InMemoryStreamStore();
    return {
      store: memory,
      description: 'in-memory (nothing kept between runs)',
      close: () => memory.close(),
    };
  }
  let store: StreamStore;
  let label: string;
  let cliUrl: string | undefined;
  if (kind === 'postgres') {
    // Loaded only here: pg is not needed for the other stores.
    const { PostgresStreamStore, migrate } = await import('./reactive-domain-postgres.js');
    const url = pgUrl ?? 'postgres://postgres@127.0.0.1:5432/test';
    const schema = process.env.PG_SCHEMA ?? 'order_service_demo';
    label = `PostgreSQL at ${hideCredentials(url)} (schema ${schema})`;
    try {
      await migrate({ connectionString: url, schema }); // idempotent: creates or upgrades the schema
    } catch (error) {
      throw new Error(`cannot use the ${label}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    store = PostgresStreamStore.fromConnectionString(url, { schema });
    cliUrl = `${hidePassword(url)}${url.includes('?') ? '&' : '?'}schema=${schema}`;
  } else {
    if (!esdbUrl)
      throw new Error('--store eventstoredb needs EVENTSTORE_URL (e.g. esdb://localhost:2113?tls=false)');
    // Loaded only here: the EventStoreDB client is not needed for the other stores.
    const { EventStoreDBStreamStore } = await import('./reactive-domain-eventstoredb.js');
    store = EventStoreDBStreamStore.fromConnectionString(esdbUrl);
    label = `EventStoreDB at ${hideCredentials(esdbUrl)}`;
    cliUrl = hidePassword(esdbUrl);
  }
  // Fail fast with a clear message rather than letting the listeners retry against a server that is not there.
  try {
    await store.readAll({ maxCount: 1 });
  } catch (error) {
    await store.close().catch(() => undefined);
    throw new Error(`cannot reach the ${label}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return {
    store,
    description: label,
    ...(cliUrl === undefined ? {} : { cliUrl }),
    close: () => store.close(),
  };
}

/** Everything appended to the store after `position`, in order. */
async function appendedSince(store: StreamStore, position: bigint | 'start'): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let after = position;
  for (;;) {
    const slice = await store.readAll({ after, maxCount: 500 });
    // The command audit's records are not part of the story told here (`reactive-domain trace` shows them).
    out.push(...slice.events.filter((e) => !e.type.startsWith('$') && e.type !== COMMAND_RECORDED));
    if (slice.isEnd || slice.events.length === 0) return out;
    after = slice.events[slice.events.length - 1]!.position;
  }
}

async function endOf(store: StreamStore): Promise<bigint | 'start'> {
  const slice = await store.readAll({ direction: 'backwards', after: 'end', maxCount: 1 });
  return slice.events[0]?.position ?? 'start';
}

/** Polls a read-model query until `done` holds: the read side is eventually consistent. */
async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Unexpected outcome: ${message}`);
}

class Narrator {
  private readonly sent: Command[] = [];
  readonly labels = new Map<string, string>();
  /** Every command sent, by id, so the correlation chain can show commands as well as events. */
  readonly commands = new Map<string, Command>();

  constructor(
    private readonly store: StreamStore,
    service: OrderService,
  ) {
    service.dispatcher.commands$.subscribe((command) => {
      this.sent.push(command);
      this.labels.set(command.msgId, command.constructor.name);
      this.commands.set(command.msgId, command);
    });
  }

  /** Runs a step and prints the commands it sent (directly or through the saga) and the events it appended. */
  async step(title: string, run: () => Promise<void>): Promise<void> {
    log(`\n== ${title}`);
    const before = await endOf(this.store);
    this.sent.length = 0;
    await run();
    for (const command of this.sent)
      log(`  -> ${command.constructor.name.padEnd(14)} ${describeCommand(command)}`);
    for (const event of await appendedSince(this.store, before)) {
      this.labels.set(event.eventId, event.type);
      if (isBookkeeping(event)) continue;
      log(
        `     ${`${event.streamName.replace(/-([0-9a-f-]{36})$/, (_m, id: string) => `-…${short(id)}`)}@${event.revision}`.padEnd(24)} ${event.type}`,
      );
    }
  }
}

function describeCommand(command: Command): string {
  const fields = Object.entries(command)
    .filter(([key]) => !['msgId', 'correlationId', 'causationId'].includes(key))
    .map(([key, value]) => {
      if (Array.isArray(value)) return `${key}: ${value.length} line(s)`;
      // UUIDs are shortened (or named) by log().
      return `${key}: ${typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value) ? value : JSON.stringify(value)}`;
    });
  return fields.join(', ');
}

function describeSummary(order: OrderSummary | null): string {
  if (!order) return '(not found)';
  const extra = order.trackingNumber
    ? `, tracking ${order.trackingNumber}`
    : order.cancelReason
      ? `, "${order.cancelReason}"`
      : '';
  return `order …${short(order.orderId)}: ${order.status}, ${order.itemCount} item(s), ${money(order.totalCents)}${extra}`;
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`demo: did not finish within ${WATCHDOG_MS} ms\n`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const opened = await openStore();
  const { store, cliUrl } = opened;
  log(`store: ${opened.description}`);
  const ada = CustomerId.create();
  const bob = CustomerId.create();
  const cy = CustomerId.create();
  const service = createOrderService(store, {
    // Cy's card has a 50-dollar limit: her order will be declined.
    payments: new InMemoryPaymentGateway(new Map([[cy, 5_000]])),
    onError: (error) => process.stderr.write(`service error: ${error.message}\n`),
    ...(opened.checkpoints ? { checkpoints: opened.checkpoints } : {}),
  });
  const narrator = new Narrator(store, service);
  const keyboard = ProductId.create();
  const mouse = ProductId.create();
  names.set(keyboard, 'keyboard');
  names.set(mouse, 'mouse');
  const get = (orderId: OrderId) => service.queries.fetch(new GetOrder(orderId));
  const statusOf = (orderId: OrderId, status: OrderSummary['status']) =>
    eventually(
      `order …${short(orderId)} to be ${status}`,
      () => get(orderId),
      (o) => o?.status === status,
    );

  log(
    "Commands sent (->) and events appended (stream@revision); the process manager's bookkeeping is left out.",
  );
  await service.start();
  try {
    await narrator.step('Stock the warehouse', async () => {
      await service.dispatcher.send(MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, keyboard, 10)));
      await service.dispatcher.send(MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, mouse, 5)));
    });

    const adaOrder = OrderId.create();
    const place = MessageBuilder.new(
      () =>
        new PlaceOrder(adaOrder, ada, [new OrderLine(keyboard, 1, 4_999), new OrderLine(mouse, 2, 1_950)]),
    );
    await narrator.step(
      'Ada orders a keyboard and two mice; the saga reserves stock, takes payment, confirms',
      async () => {
        await service.dispatcher.send(place);
        await statusOf(adaOrder, 'confirmed');
      },
    );
    await narrator.step('The warehouse ships it', async () => {
      await service.dispatcher.send(MessageBuilder.new(() => new ShipOrder(adaOrder, 'TRACK-1Z999')));
      await statusOf(adaOrder, 'shipped');
    });

    const bobOrder = OrderId.create();
    const warehouse = await service.repository.getById(Warehouse, MAIN_WAREHOUSE);
    const tooMany = warehouse.availableOf(mouse) + 1;
    await narrator.step(
      `Bob orders ${tooMany} mice (more than in stock): the saga cancels the order`,
      async () => {
        await service.dispatcher.send(
          MessageBuilder.new(() => new PlaceOrder(bobOrder, bob, [new OrderLine(mouse, tooMany, 1_950)])),
        );
        await statusOf(bobOrder, 'cancelled');
      },
    );

    const cyOrder = OrderId.create();
    await narrator.step(
      'Cy orders a keyboard but her card is declined: stock released, order cancelled',
      async () => {
        await service.dispatcher.send(
          MessageBuilder.new(() => new PlaceOrder(cyOrder, cy, [new OrderLine(keyboard, 2, 4_999)])),
        );
        await statusOf(cyOrder, 'cancelled');
        await eventually(
          'stock to be released',
          () => service.repository.getById(Warehouse, MAIN_WAREHOUSE),
          (w) => w.availableOf(keyboard) === warehouse.availableOf(keyboard),
        );
      },
    );

    log('\n== Rules are enforced with typed errors (a Fail response carries the domain error)');
    {
      const empty = await service.dispatcher.trySend(
        MessageBuilder.new(() => new PlaceOrder(OrderId.create(), ada, [])),
      );
      const emptyError = empty instanceof Fail ? empty.error : undefined;
      check(emptyError instanceof EmptyOrderError, 'an empty order must fail with EmptyOrderError');
      log(`  PlaceOrder with no lines   -> ${empty.kind}: ${emptyError.code} (${emptyError.message})`);
      const shipped = await service.dispatcher.trySend(
        MessageBuilder.new(() => new CancelOrder(adaOrder, 'changed my mind')),
      );
      const shippedError = shipped instanceof Fail ? shipped.error : undefined;
      check(
        shippedError instanceof OrderStatusError,
        'cancelling a shipped order must fail with OrderStatusError',
      );
      log(`  CancelOrder after shipping -> ${shipped.kind}: ${shippedError.code} (${shippedError.message})`);
    }

    log('\n== Read model');
    const ship = await get(adaOrder);
    log(`  GetOrder(ada's)            -> ${describeSummary(ship)}`);
    log(`  GetOrder(bob's)            -> ${describeSummary(await get(bobOrder))}`);
    log(`  GetOrder(cy's)             -> ${describeSummary(await get(cyOrder))}`);
    const adaPage = await service.queries.fetch(new ListOrders(ada, { page: 1, pageSize: 10 }));
    log(
      `  ListOrders(ada, page 1)    -> ${adaPage.total} order(s): ${adaPage.items.map((o) => o.status).join(', ')}`,
    );
    const cancelled = await service.queries.fetch(new ListOrders(cy, { status: 'cancelled' }));
    log(`  ListOrders(cy, cancelled)  -> ${cancelled.total} order(s)`);
    const thisRun = new Set<string>([adaOrder, bobOrder, cyOrder]);
    const earlier = service.summaries.all().filter((o) => !thisRun.has(o.orderId));
    log(`  Orders from earlier runs   -> ${earlier.length}${earlier.length > 0 ? ', newest first:' : ''}`);
    for (const order of earlier.slice(0, 3)) log(`    ${describeSummary(order)}`);
    if (earlier.length > 3) log(`    … and ${earlier.length - 3} more`);
    check(
      ship?.status === 'shipped' && ship.totalCents === 4_999 + 2 * 1_950,
      "Ada's order must be shipped with the computed total",
    );
    check(adaPage.total === 1 && cancelled.total === 1, 'the list queries must find the orders');

    log(`\n== Correlation chain of Ada's order (correlation id ${place.msgId}): what caused what`);
    const chain: RecordedEvent[] = [];
    for (const event of await appendedSince(store, 'start')) {
      if ((JSON.parse(event.metadata) as { $correlationId?: string }).$correlationId === place.msgId)
        chain.push(event);
    }
    // A causation tree from the first command: events (stored) and commands (sent) of the conversation.
    type Link = { id: string; label: string; kind: 'command' | 'event' };
    const children = new Map<string, Link[]>();
    const link = (cause: string | undefined, child: Link): void => {
      if (cause === undefined) return;
      children.set(cause, [...(children.get(cause) ?? []), child]);
    };
    for (const event of chain) {
      if (isBookkeeping(event)) continue;
      const cause = (JSON.parse(event.metadata) as { $causationId?: string }).$causationId;
      link(cause, { id: event.eventId, label: event.type, kind: 'event' });
    }
    for (const command of narrator.commands.values()) {
      if (command.correlationId !== place.msgId || command === place) continue;
      link(command.causationId, { id: command.msgId, label: command.constructor.name, kind: 'command' });
    }
    const print = (item: Link, depth: number): void => {
      const text = `${'  '.repeat(depth)}${item.kind === 'command' ? '-> ' : ''}${item.label}`;
      log(`  ${text.padEnd(34)} …${short(item.id)}  ${item.kind}`);
      for (const child of children.get(item.id) ?? []) print(child, depth + 1);
    };
    print({ id: place.msgId, label: 'PlaceOrder', kind: 'command' }, 0);
    if (cliUrl !== undefined) {
      // Written as is (not humanized): the full id, to copy. The commands are in the store (recordCommands).
      process.stdout.write(
        `\n  The whole tree, from the store: npx reactive-domain --store '${cliUrl}' trace ${place.msgId}\n`,
      );
    }
    const types = chain.filter((e) => !isBookkeeping(e)).map((e) => e.type);
    for (const expected of ['OrderPlaced', 'StockReserved', 'PaymentCaptured', 'OrderConfirmed']) {
      check(types.includes(expected), `the correlation chain must include ${expected}`);
    }
    check(!types.includes('OrderShipped'), 'shipping was a separate conversation');
    log('\nAll expected outcomes observed.');
  } finally {
    await service.stop();
    await opened.close();
    clearTimeout(watchdog);
  }
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
