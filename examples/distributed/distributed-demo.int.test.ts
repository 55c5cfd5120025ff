import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describeWithServer } from '../../test/support/servers';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/** `npm run demo:distributed` must run as the README says: two processes, one broker, an unbroken chain, exit 0. */
async function demo(broker: 'nats' | 'rabbitmq'): Promise<string> {
  const { stdout } = await run('npm', ['run', '--silent', 'demo:distributed', '--', `--broker=${broker}`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 90_000,
  });
  return stdout;
}

function expectStory(out: string): void {
  expect(out).toMatch(/\[warehouse\+payment\] ready/);
  expect(out).toMatch(/\[orders\] store: SQLite .*orders\.sqlite, inbox in the same file/);
  expect(out).toMatch(/\[warehouse\+payment\] store: SQLite .*warehouse-payment\.sqlite/);
  expect(out).toMatch(/\[warehouse\+payment\] received ReserveStock/);
  expect(out).toMatch(/ReserveStock +…[0-9a-f]{6} +command, handled over there +caused by OrderPlaced/);
  expect(out).toMatch(/StockReserved +…[0-9a-f]{6} +event, from the other process +caused by ReserveStock/);
  expect(out).toMatch(/PaymentCaptured +…[0-9a-f]{6} +event, from the other process +caused by TakePayment/);
  expect(out).toMatch(/OrderConfirmed +…[0-9a-f]{6} +event, appended here +caused by ConfirmOrder/);
  expect(out).toMatch(/correlation chain unbroken across processes/);
  expect(out).toMatch(/orders exited 0, warehouse\+payment exited 0\s*$/);
}

describeWithServer('nats', 'npm run demo:distributed (NATS)', () => {
  it(
    'runs the saga across two processes over NATS and exits 0',
    async () => expectStory(await demo('nats')),
    100_000,
  );
});

describeWithServer('rabbitmq', 'npm run demo:distributed -- --broker=rabbitmq', () => {
  it(
    'runs the saga across two processes over RabbitMQ and exits 0',
    async () => expectStory(await demo('rabbitmq')),
    100_000,
  );
});
