/**
 * The distributed demo: `npm run demo:distributed` (NATS) or `npm run demo:distributed -- --broker=rabbitmq`.
 *
 * Starts two processes that share nothing but the broker: the order service (orders, order list, fulfillment saga)
 * and the warehouse and payment side. The saga's commands cross to the other process and its events come back;
 * the order service prints the correlation chain of an order across both. Each process has its own SQLite file (in
 * a temporary directory of the run, removed at the end). Exits 0 when both processes did, and stops every process it
 * started, whatever happens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { NatsTransport, RabbitMqTransport } from './reactive-domain-brokers';

const WATCHDOG_MS = 60_000;
const broker = (process.argv.find((a) => a.startsWith('--broker='))?.split('=')[1] ??
  process.env.DEMO_BROKER ??
  'nats') as 'nats' | 'rabbitmq';
if (broker !== 'nats' && broker !== 'rabbitmq') {
  process.stderr.write(`--broker must be nats or rabbitmq, got ${String(broker)}\n`);
  process.exit(2);
}
const run = randomUUID().slice(0, 8);
const dataDir = mkdtempSync(join(tmpdir(), `rd-distributed-${run}-`));
const env = { ...process.env, DEMO_BROKER: broker, DEMO_RUN: run, DEMO_DATA_DIR: dataDir };
const children: ChildProcess[] = [];
const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** Starts one side with tsx, prefixing its output; resolves with the process and a promise of its exit code. */
function start(
  file: string,
  label: string,
): { child: ChildProcess; exited: Promise<number>; ready: Promise<void> } {
  const tsx = resolve(__dirname, '../../node_modules/.bin/tsx');
  const child = spawn(tsx, [resolve(__dirname, file)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') markReady();
    log(`[${label}] ${line}`);
  });
  createInterface({ input: child.stderr! }).on('line', (line) =>
    process.stderr.write(`[${label}] ${line}\n`),
  );
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
  );
  return { child, exited, ready };
}

function stopAll(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
process.once('exit', stopAll);

async function removeBrokerObjects(): Promise<void> {
  if (broker === 'rabbitmq') {
    const transport = await RabbitMqTransport.connect({
      url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      exchange: `rd-demo-${run}`,
    });
    await transport.deleteTopology([]);
    await transport.close();
  } else {
    const transport = await NatsTransport.connect({
      servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      stream: `RD_DEMO_${run}`,
      subjectPrefix: `demo${run}`,
    });
    await transport.deleteStream();
    await transport.close();
  }
}

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`demo:distributed did not finish within ${WATCHDOG_MS} ms; stopping everything\n`);
    stopAll();
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  log(`Two processes talking only through ${broker === 'nats' ? 'NATS JetStream' : 'RabbitMQ'} (run ${run})`);
  const side = start('warehouse-payment-process.ts', 'warehouse+payment');
  const sideFailed = side.exited.then((code) => {
    throw new Error(`the warehouse+payment process exited early (${code})`);
  });
  await Promise.race([side.ready, sideFailed]);
  const orders = start('orders-process.ts', 'orders');
  const ordersCode = await Promise.race([orders.exited, sideFailed]);
  side.child.stdin!.end(); // asks the other side to stop gracefully
  const sideCode = await Promise.race([
    side.exited,
    new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10_000).unref()),
  ]);
  await removeBrokerObjects().catch((error: unknown) =>
    process.stderr.write(`cleanup: ${error instanceof Error ? error.message : String(error)}\n`),
  );
  clearTimeout(watchdog);
  log(`orders exited ${ordersCode}, warehouse+payment exited ${sideCode}`);
  return ordersCode === 0 && sideCode === 0 ? 0 : 1;
}

main().then(
  (code) => {
    stopAll();
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `demo:distributed failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    stopAll();
    process.exitCode = 1;
  },
);
