/**
 * Workload 7 — concurrent commands with conflicts: 8 senders at once over 1,000 aggregates, each command a load ->
 * decide -> save retried on a concurrency conflict (commands/s, retries counted, p50/p99 latency per command,
 * retries included).
 */
import { assert, emit, percentile, runCase, scaled, type Contender } from '../lib/harness';
import { Account, Deposit, PassThroughSerializer, Seed, newCorrelatedRepository, openedAccountsStore, serializeAll } from '../lib/ours';
import { CommandDispatcher } from '../../dist/messaging';
import { deposit, evolve, initialState, leanEmmettEventStore, seedEmmett, type EmmettAccount, type EmmettDeposited } from '../lib/emmett';
import { CommandHandler, isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { NestDeposit, createNestApp } from '../lib/nest';

const AGGREGATES = 1_000;
const SENDERS = 8;
const COMMANDS = scaled(40_000, 4_000);
const WARMUP_COMMANDS = scaled(8_000, 1_000);
/** Attempts per command (the first included) before a sender gives up: far above what conflicts need here. */
const MAX_ATTEMPTS = 50;

const ids = Array.from({ length: AGGREGATES }, (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`);
/** A fixed pseudo-random sequence of target aggregates (the same for every contender), so senders collide at times. */
const targets = (() => {
  const out = new Uint16Array(COMMANDS);
  let x = 0x2545f491;
  for (let i = 0; i < COMMANDS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % AGGREGATES;
  }
  return out;
})();
const expectedTotal = (count: number) => count; // every command deposits 1

const latencies = new Float64Array(COMMANDS);
let count = COMMANDS;
/** Attempts made (act / decide / handler calls): attempts - commands = retries. */
let attempts = 0;
const prepare = (mode: 'warmup' | 'run') => {
  count = mode === 'warmup' ? WARMUP_COMMANDS : COMMANDS;
  attempts = 0;
};

/** SENDERS concurrent loops taking the next command from a shared counter until `count` are done. */
async function driveConcurrently(send: (id: string) => Promise<unknown>): Promise<void> {
  let next = 0;
  const sender = async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      await send(ids[targets[i]!]!);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
}

const extra = () => ({
  p50LatencyUs: Math.round(percentile(latencies, 50, count) * 1000 * 10) / 10,
  p99LatencyUs: Math.round(percentile(latencies, 99, count) * 1000 * 10) / 10,
  retries: attempts - count,
  retriesPer1000: Math.round(((attempts - count) / count) * 1000 * 10) / 10,
});

async function main(): Promise<void> {
  let total: () => Promise<number> = async () => -1;
  const check = (name: string) => async () => {
    const sum = await total();
    assert(sum === expectedTotal(count), `${name}: ${sum} deposits stored, expected ${expectedTotal(count)}`);
    assert(attempts >= count, `${name}: ${attempts} attempts for ${count} commands`);
  };

  /** Ours: the dispatcher, the handler loads/raises/saves through CorrelatedRepository.update (retried on conflict). */
  const ours = (name: string, note: string, serialising: boolean, cache: boolean): Contender => {
    let dispatcher = new CommandDispatcher();
    return {
      name,
      role: 'us',
      note,
      beforeEach: async (mode) => {
        prepare(mode);
        const pass = serialising ? undefined : new PassThroughSerializer({ registry: Account.eventTypes });
        const store = await openedAccountsStore(ids, pass ? (events) => events.map((e) => pass.serialize(e)) : serializeAll);
        const source = new Seed();
        const repository = newCorrelatedRepository(store, { ...(pass ? { serializer: pass } : {}), cache });
        dispatcher = new CommandDispatcher();
        dispatcher.register(Deposit, async (command) => {
          await repository.update(Account, command.accountId, command, (account) => {
            attempts++;
            account.deposit(command.amount);
          }, { maxAttempts: MAX_ATTEMPTS });
        });
        total = async () => {
          let sum = 0;
          for (const id of ids) sum += (await repository.getById(Account, id, source)).deposits;
          return sum;
        };
      },
      fn: async () => await driveConcurrently((id) => dispatcher.send(new Deposit(id, 1))),
      check: check(name),
      extra,
    };
  };

  let lean = leanEmmettEventStore();
  const emmettHandle = CommandHandler<EmmettAccount, EmmettDeposited | { type: 'AccountOpened'; data: { accountId: string } }>({
    evolve: evolve as never,
    initialState,
    retry: { onVersionConflict: { retries: MAX_ATTEMPTS - 1, minTimeout: 0, maxTimeout: 0, factor: 1, shouldRetryError: isExpectedVersionConflictError } },
  });

  const nest = await createNestApp('commands');

  let floor = new Map<string, Array<{ amount: number }>>();
  const contenders: Contender[] = [
    ours(
      'reactive-domain dispatcher + update, non-serialising',
      'CommandDispatcher.send -> handler: CorrelatedRepository.update (load, raise, save; retried at once on WrongExpectedVersionError); pass-through serializer',
      false,
      false,
    ),
    ours(
      'reactive-domain dispatcher + update, serialising store, aggregate cache',
      'same over JSON, with the aggregate cache (a conflicting save evicts nothing: the next load reads the newer events)',
      true,
      true,
    ),
    {
      name: 'Emmett CommandHandler, lean store',
      role: 'peer',
      note: "CommandHandler({ evolve, initialState, retry: { onVersionConflict } }) with no back-off (minTimeout 0) over the lean store (see the command round trip)",
      beforeEach: async (mode) => {
        prepare(mode);
        lean = leanEmmettEventStore();
        for (const id of ids) await seedEmmett(lean, id, 0);
        total = async () => {
          let sum = 0;
          for (const id of ids) sum += (lean.streams.get(id)?.length ?? 1) - 1;
          return sum;
        };
      },
      fn: async () =>
        await driveConcurrently((id) => {
          const decide = deposit(1, id);
          return emmettHandle(lean, id, (state) => {
            attempts++;
            return decide(state);
          });
        }),
      check: check('emmett'),
      extra,
    },
    {
      name: '@nestjs/cqrs CommandBus',
      role: 'peer',
      note: 'CommandBus.execute (load history, loadFromHistory, apply, append with an expected length, commit), retried by the caller on the conflict error (Nest has no retry of its own)',
      beforeEach: (mode) => {
        prepare(mode);
        nest.store.reset(ids);
        total = async () => {
          let sum = 0;
          for (const id of ids) sum += (nest.store.streams.get(id)?.length ?? 1) - 1;
          return sum;
        };
      },
      fn: async () =>
        await driveConcurrently(async (id) => {
          for (let attempt = 1; ; attempt++) {
            attempts++;
            try {
              return await nest.commandBus.execute(new NestDeposit(id, 1));
            } catch (error) {
              if (attempt >= MAX_ATTEMPTS || !String(error).includes('concurrency conflict')) throw error;
            }
          }
        }),
      check: check('nest'),
      extra,
    },
    {
      name: 'floor: async load-fold-append with retry, objects',
      role: 'floor',
      note: 'per command: await a read of the array, fold, await an append that checks the expected length; retried on a mismatch',
      beforeEach: (mode) => {
        prepare(mode);
        floor = new Map(ids.map((id) => [id, [{ amount: 0 }]]));
        total = async () => {
          let sum = 0;
          for (const id of ids) sum += floor.get(id)!.length - 1;
          return sum;
        };
      },
      fn: async () =>
        await driveConcurrently(async (id) => {
          for (;;) {
            attempts++;
            const events = await readFloor(floor, id);
            const expected = events.length;
            let balance = 0;
            for (let k = 0; k < events.length; k++) balance += events[k]!.amount;
            if (await appendFloor(floor, id, expected, { amount: 1 })) return balance + 1;
          }
        }),
      check: check('floor'),
      extra,
    },
  ];
  const peers = ['Emmett CommandHandler, lean store', '@nestjs/cqrs CommandBus'];
  const result = await runCase({
    id: 'concurrent-commands',
    title: `Concurrent commands: ${COMMANDS.toLocaleString('en')} commands from ${SENDERS} senders over ${AGGREGATES.toLocaleString('en')} aggregates, conflicts retried`,
    unit: 'commands',
    units: COMMANDS,
    contenders,
    comparisons: [
      { us: 'reactive-domain dispatcher + update, non-serialising', peers, floor: 'floor: async load-fold-append with retry, objects' },
      {
        us: 'reactive-domain dispatcher + update, serialising store, aggregate cache',
        peers,
        floor: 'floor: async load-fold-append with retry, objects',
        notLikeForLike: 'ours parses JSON and keeps an aggregate cache, the peers hold objects and replay',
      },
    ],
    iterations: 5,
    rounds: 5,
    timeMs: 0,
    warmupIterations: 1,
    notes: [
      `${SENDERS} senders run at once, each sending its next command as soon as the last is answered; the aggregate of each command comes from a fixed pseudo-random sequence (the same for every contender), so two senders sometimes load the same aggregate and the later save conflicts.`,
      'Retries = attempts - commands (an attempt is one run of the decide step). Latency is per command, send to response, retries included.',
    ],
  });
  await nest.app.close();
  emit('concurrent-commands', [result]);
}

async function readFloor<T>(map: Map<string, T[]>, id: string): Promise<T[]> {
  return map.get(id)!;
}

async function appendFloor<T>(map: Map<string, T[]>, id: string, expected: number, event: T): Promise<boolean> {
  const events = map.get(id)!;
  if (events.length !== expected) return false;
  events.push(event);
  return true;
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
