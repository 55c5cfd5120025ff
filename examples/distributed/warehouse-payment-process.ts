/**
 * The warehouse and payment side: its own store, its own handlers. Commands arrive through the broker
 * (`serveRemoteCommands`), its events leave through the broker (`LogForwarder`: the event log is the outbox).
 * Prints `ready` when serving; stops on SIGTERM or when stdin closes.
 */
import {
  CommandDispatcher,
  CorrelatedRepository,
  EventSerializer,
  InMemoryInboxStore,
  LogForwarder,
  ListenerSources,
  StreamStoreRepository,
  serveRemoteCommands,
} from '../order-service/reactive-domain';
import {
  SqliteCheckpointStore,
  SqliteDatabase,
  SqliteStreamStore,
} from '../order-service/reactive-domain-sqlite';
import { orderServiceEvents } from '../order-service/events';
import { registerOrderServiceHandlers } from '../order-service/handlers';
import { InMemoryPaymentGateway } from '../order-service/payment';
import {
  CARD_LIMITS,
  cleanUpBroker,
  codec,
  connectBroker,
  dataFile,
  log,
  remoteCommandTypes,
  short,
} from './shared';

async function main(): Promise<void> {
  // This process's own SQLite file: its events and the forwarder's checkpoint.
  const database = SqliteDatabase.open(dataFile('warehouse-payment.sqlite'));
  const store = new SqliteStreamStore({ database });
  log(`store: SQLite ${database.path}, forwarder checkpoint in the same file`);
  const serializer = new EventSerializer({ registry: orderServiceEvents });
  const repository = new StreamStoreRepository({ store, serializer });
  const dispatcher = new CommandDispatcher();
  // The example's handlers for all commands; only the warehouse and payment ones are served to other processes.
  registerOrderServiceHandlers({
    dispatcher,
    repository: new CorrelatedRepository(repository),
    payments: new InMemoryPaymentGateway(CARD_LIMITS),
  });
  dispatcher.commands$.subscribe((command) =>
    log(
      `received ${command.constructor.name.padEnd(13)} ${short(command.msgId)}  correlation ${short(command.correlationId)}`,
    ),
  );

  const transport = await connectBroker();
  const forwarder = new LogForwarder({
    name: 'warehouse-payment',
    store,
    transport,
    checkpoints: new SqliteCheckpointStore(database),
    source: ListenerSources.all({ on: 'streamName', prefixes: ['warehouse-', 'payment-'] }),
    maxInFlight: 1,
  });
  const server = await serveRemoteCommands({
    transport,
    dispatcher,
    types: remoteCommandTypes,
    codec,
    // In memory: the command handlers append through the store, which waits for any open SqliteInboxStore
    // transaction on this file, so they cannot run inside one.
    inbox: new InMemoryInboxStore(),
  });
  await forwarder.start();
  log('ready');

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.stdin.on('end', resolve).resume();
  });
  await server.stop();
  await forwarder.stop();
  log(`stopping: ${forwarder.stats.confirmed} event(s) forwarded, confirmed by the broker`);
  await cleanUpBroker(transport);
  await transport.close();
  await store.close();
  database.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
