/**
 * What-if for the command round trip: (1) newId() replaced by the pooled v7 generator (patched into the compiled
 * module's exports, which every caller reads at call time); (2) the fixed per-command costs of CommandDispatcher
 * measured one by one. Runs 30,000 commands over 1,000 aggregates with the pass-through serializer.
 */
import { randomUUID } from 'node:crypto';
import { v7, validate } from 'uuid';
import { fastV7 } from './fast-v7';
import { Account, AccountOpened, Deposit, InMemoryStreamStore, PassThroughSerializer, Seed, newCorrelatedRepository } from '../lib/ours';
import { CommandDispatcher } from '../../dist/messaging';
import { LeanDispatcher } from './lean-dispatcher';

function nsPer(label: string, f: () => unknown, n = 1_000_000): number {
  for (let i = 0; i < 50_000; i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  const ns = ((performance.now() - t) * 1e6) / n;
  console.log(`  ${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns`);
  return ns;
}

async function commandsPerSecond(useDispatcher: boolean, Dispatcher: typeof CommandDispatcher = CommandDispatcher): Promise<number> {
  const ids = Array.from({ length: 1000 }, () => randomUUID());
  const pass = new PassThroughSerializer({ registry: Account.eventTypes });
  const store = new InMemoryStreamStore();
  const source = new Seed();
  for (const id of ids) {
    const o = new AccountOpened(id);
    o.correlationId = source.msgId;
    o.causationId = source.msgId;
    await store.appendToStream(`account-${id}`, 'no_stream', [pass.serialize(o)]);
  }
  const repository = newCorrelatedRepository(store, { serializer: pass });
  const dispatcher = new Dispatcher();
  dispatcher.register(Deposit, async (c) => {
    const a = await repository.getById(Account, c.accountId, c);
    a.deposit(c.amount);
    await repository.save(a);
  });
  const N = 30_000;
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const id = ids[i % 1000]!;
    if (useDispatcher) await dispatcher.send(new Deposit(id, 1));
    else {
      const c = new Deposit(id, 1);
      const a = await repository.getById(Account, id, c);
      a.deposit(1);
      await repository.save(a);
    }
  }
  return Math.round(N / ((performance.now() - t) / 1000));
}

/** The compiled module's own exports object (callers do `(0, id_1.newId)()`, reading it at call time). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const idModule = require('../../dist/core/id') as { newId: () => string };

async function main(): Promise<void> {
  const sample = fastV7();
  if (!validate(sample) || sample[14] !== '7' || !'89ab'.includes(sample[19]!)) throw new Error(`not a v7 uuid: ${sample}`);
  console.log('Per-operation costs:');
  nsPer('uuid v7 (today)', v7);
  nsPer('pooled v7 (proposed)', fastV7);
  nsPer('crypto.randomUUID (v4)', randomUUID);
  const signals: AbortSignal[] = [];
  nsPer('new AbortController() + its signal', () => {
    const controller = new AbortController();
    signals.push(controller.signal);
    if (signals.length > 1000) signals.length = 0;
  });
  nsPer('setTimeout + unref + clearTimeout', () => {
    const t = setTimeout(() => undefined, 30_000);
    t.unref();
    clearTimeout(t);
  }, 200_000);
  console.log('\nCommand round trip (30,000 commands, 1,000 aggregates, non-serialising):');
  const original = idModule.newId;
  for (let round = 0; round < 2; round++) {
    for (const dispatcher of [false, true]) {
      idModule.newId = original;
      const a = await commandsPerSecond(dispatcher);
      idModule.newId = fastV7;
      const b = await commandsPerSecond(dispatcher);
      idModule.newId = original;
      console.log(`  ${dispatcher ? 'dispatcher' : 'repository'}: uuid v7 ${a.toLocaleString('en')}/s, pooled v7 ${b.toLocaleString('en')}/s (${(b / a).toFixed(2)}x)`);
    }
    const today = await commandsPerSecond(true);
    const leaner = await commandsPerSecond(true, LeanDispatcher);
    idModule.newId = fastV7;
    const both = await commandsPerSecond(true, LeanDispatcher);
    idModule.newId = original;
    console.log(`  dispatcher today ${today.toLocaleString('en')}/s, lazy signal + ack only when observed ${leaner.toLocaleString('en')}/s (${(leaner / today).toFixed(2)}x), with pooled v7 too ${both.toLocaleString('en')}/s (${(both / today).toFixed(2)}x)`);
  }
}
void main();
