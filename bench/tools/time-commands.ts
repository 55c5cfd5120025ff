/**
 * Times the command path's layers one by one, in one process, over the bench domain (pass-through serializer, 1,000
 * aggregates, each opened with SEEDED deposits, plus the deposits made while timing): an empty send through the dispatcher, the
 * repository's load alone, load + save, and the full dispatcher path. Prints ns per command for each, best of
 * ROUNDS rounds. A diagnosis tool for the command-round-trip workload (not part of `npm run bench`); profile it
 * with `node --cpu-prof --import tsx tools/time-commands.ts` from bench/.
 *
 * Usage, from bench/: `node --expose-gc --import tsx tools/time-commands.ts [layer ...]`.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { CommandDispatcher, Success } from '../../dist/messaging';
import { Account, Deposit, InMemoryStreamStore, PassThroughSerializer, newCorrelatedRepository, openedAccountsStore } from '../lib/ours';

const AGGREGATES = 1_000;
const COMMANDS = Number(process.env.COMMANDS ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ids = Array.from({ length: AGGREGATES }, () => randomUUID());
/** Deposits each aggregate starts with (the round-trip workload replays 50 on average). */
const SEEDED = Number(process.env.SEEDED ?? 50);

const openedStore = (pass: PassThroughSerializer): Promise<InMemoryStreamStore> =>
  openedAccountsStore(ids, (events) => events.map((e) => pass.serialize(e)), SEEDED);

type Layer = () => Promise<(i: number) => Promise<unknown>>;

/** The handler body without the dispatcher: load, raise, save (with the aggregate cache on or off). */
async function loadAndSave(cache: boolean): Promise<(i: number) => Promise<unknown>> {
  const pass = new PassThroughSerializer({ registry: Account.eventTypes });
  const repository = newCorrelatedRepository(await openedStore(pass), { serializer: pass, cache });
  return async (i) => {
    const command = new Deposit(ids[i % AGGREGATES]!, 1);
    const account = await repository.getById(Account, command.accountId, command);
    account.deposit(1);
    await repository.save(account);
  };
}

const layers: Record<string, Layer> = {
  'empty send': async () => {
    const dispatcher = new CommandDispatcher();
    dispatcher.register(Deposit, async () => undefined);
    return (i) => dispatcher.send(new Deposit(ids[i % AGGREGATES]!, 1));
  },
  'load only': async () => {
    const pass = new PassThroughSerializer({ registry: Account.eventTypes });
    const repository = newCorrelatedRepository(await openedStore(pass), { serializer: pass });
    return (i) => repository.getById(Account, ids[i % AGGREGATES]!, new Deposit(ids[i % AGGREGATES]!, 1));
  },
  'load + save': () => loadAndSave(false),
  'load + save, cache': () => loadAndSave(true),
  'full send': async () => {
    const pass = new PassThroughSerializer({ registry: Account.eventTypes });
    const repository = newCorrelatedRepository(await openedStore(pass), { serializer: pass });
    const dispatcher = new CommandDispatcher();
    dispatcher.register(Deposit, async (command) => {
      const account = await repository.getById(Account, command.accountId, command);
      account.deposit(command.amount);
      await repository.save(account);
    });
    return async (i) => {
      const response = await dispatcher.send(new Deposit(ids[i % AGGREGATES]!, 1));
      if (!(response instanceof Success)) throw new Error('not a success');
    };
  },
};

/** With PROFILE=dir, each layer's timed loops (not the seeding, not the warm-up) are CPU-profiled into dir. */
const PROFILE = process.env.PROFILE;
const session = new Session();

async function timeLayer(name: string, layer: Layer): Promise<void> {
  const samples: number[] = [];
  if (PROFILE) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
  }
  for (let round = 0; round < ROUNDS; round++) {
    const step = await layer(); // fresh state each round: streams grow by COMMANDS / AGGREGATES events per round
    for (let i = 0; i < 5_000; i++) await step(i); // warm-up
    (globalThis as { gc?: () => void }).gc?.();
    if (PROFILE) await session.post('Profiler.start');
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < COMMANDS; i++) await step(i);
    samples.push(Number(process.hrtime.bigint() - t0) / COMMANDS);
    if (PROFILE) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(`${PROFILE}/${name.replace(/\W+/g, '-')}-${round}.cpuprofile`, JSON.stringify(profile));
    }
  }
  if (PROFILE) session.disconnect();
  samples.sort((a, b) => a - b);
  console.log(`${name.padEnd(22)} best ${samples[0]!.toFixed(0).padStart(6)} ns   median ${samples[samples.length >> 1]!.toFixed(0).padStart(6)} ns`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  for (const [name, layer] of Object.entries(layers)) {
    if (wanted.length === 0 || wanted.some((w) => name.includes(w))) await timeLayer(name, layer);
  }
}

void main();
