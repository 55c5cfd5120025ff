/**
 * Read path before/after, in one process: `EventSerializer.deserialize` alone (the serializer workload's event and
 * the rehydrate workload's event, both with the metadata the repository writes), a 10,000-event repository load
 * (`StreamStoreRepository.getById` over `InMemoryStreamStore`, default pages of 500) and a 100,000-event
 * `subscribeToAll` catch-up with deserialize per event.
 *
 * Each library build gets its own copy of the bench domain, and the builds are interleaved in rounds (the machine is
 * shared and noisy: compare within a run). Run from bench/:
 *
 *   npx tsc -p ../tsconfig.build.json --outDir /tmp/rd-base     # on the old commit: the baseline build
 *   npm --prefix .. run build                                    # the current sources -> dist
 *   BASELINE_DIST=/tmp/rd-base node --expose-gc --import tsx experiments/read-path.ts
 *
 * Without BASELINE_DIST only ../dist is measured (CURRENT_DIST=<dir> measures another build instead of ../dist).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';

interface Lib {
  readonly label: string;
  readonly core: any;
  readonly persistence: any;
  readonly foundation: any;
}

function load(label: string, dist: string): Lib {
  const root = path.resolve(dist);
  return {
    label,
    core: require(path.join(root, 'core')),
    persistence: require(path.join(root, 'persistence')),
    foundation: require(path.join(root, 'foundation')),
  };
}

/** The bench domain (bench/lib/ours.ts) built against one library build. */
function domain(lib: Lib) {
  const { AggregateRoot, Command, Event, EventTypeRegistry } = lib.core;
  const registry = new EventTypeRegistry();
  class AccountOpened extends Event {
    constructor(readonly accountId: string) {
      super();
    }
  }
  class Deposited extends Event {
    constructor(
      readonly accountId: string,
      readonly amount: number,
    ) {
      super();
    }
  }
  class Money {
    constructor(
      readonly amount: number,
      readonly currency: string,
    ) {}
  }
  class Transferred extends Event {
    constructor(
      readonly accountId: string,
      readonly money: Money,
      readonly at: Date,
      readonly sequence: bigint,
      readonly memo: string,
    ) {
      super();
    }
  }
  registry.register(AccountOpened, 'AccountOpened');
  registry.register(Deposited, 'Deposited');
  registry.register(Transferred, 'Transferred', { fields: { money: Money, at: Date, sequence: BigInt } });
  class Account extends AggregateRoot {
    static readonly typeName = 'Account';
    static eventTypes = registry;
    balance = 0;
    deposits = 0;
    protected applyAccountOpened(_e: AccountOpened): void {
      this.balance = 0;
    }
    protected applyDeposited(e: Deposited): void {
      this.balance += e.amount;
      this.deposits++;
    }
  }
  class Seed extends Command {}
  const serializer = new lib.persistence.EventSerializer({ registry });
  return { registry, AccountOpened, Deposited, Money, Transferred, Account, Seed, serializer };
}

type Domain = ReturnType<typeof domain>;

interface Subject {
  readonly lib: Lib;
  readonly d: Domain;
  readonly transferred: any[];
  readonly deposited: any[];
  readonly repository: any;
  readonly accountId: string;
  readonly allStore: any;
}

const CONTEXT_COMMIT = 'b1b5a4a0-0000-7000-8000-000000000000';

async function subject(lib: Lib): Promise<Subject> {
  const d = domain(lib);
  const source = new d.Seed();
  const ctx = { aggregateType: 'Account', commitId: CONTEXT_COMMIT };
  const record = (data: any, i: number) => ({ streamName: 's', revision: i, position: 64n, created: new Date(0), ...data });
  const transferred = Array.from({ length: 1000 }, (_, i) => {
    const e = new d.Transferred(`acc-${i}`, new d.Money(100 + i, 'EUR'), new Date(Date.UTC(2026, 0, 1, 0, 0, i)), 9_007_199_254_740_993n + BigInt(i), 'rent');
    e.correlationId = source.msgId;
    e.causationId = source.msgId;
    return record(d.serializer.serialize(e, ctx), i);
  });
  const deposited = Array.from({ length: 1000 }, (_, i) => {
    const e = new d.Deposited('acc-1', 1 + (i % 7));
    e.correlationId = source.msgId;
    e.causationId = source.msgId;
    return record(d.serializer.serialize(e, ctx), i);
  });

  // One 10,000-event account stream (1 opened + 9,999 deposits), written as the repository writes it.
  const accountId = randomUUID();
  const store = new lib.persistence.InMemoryStreamStore();
  const opened = new d.AccountOpened(accountId);
  opened.correlationId = source.msgId;
  opened.causationId = source.msgId;
  const all: object[] = [opened];
  for (let i = 0; i < 9_999; i++) {
    const e = new d.Deposited(accountId, 1 + (i % 7));
    e.correlationId = source.msgId;
    e.causationId = source.msgId;
    all.push(e);
  }
  for (let i = 0; i < all.length; i += 1000) {
    await store.appendToStream(
      `account-${accountId}`,
      i === 0 ? 'no_stream' : i - 1,
      all.slice(i, i + 1000).map((e) => d.serializer.serialize(e, ctx)),
    );
  }
  const repository = new lib.foundation.StreamStoreRepository({ store, serializer: d.serializer });

  // 1,000 streams of 100 events for the $all catch-up.
  const allStore = new lib.persistence.InMemoryStreamStore();
  for (let s = 0; s < 1000; s++) {
    const events: object[] = [];
    for (let i = 0; i < 100; i++) {
      const e = new d.Deposited(`a-${s}`, 1 + (i % 7));
      e.correlationId = source.msgId;
      e.causationId = source.msgId;
      events.push(e);
    }
    await allStore.appendToStream(`account-${s}`, 'no_stream', events.map((e) => d.serializer.serialize(e, ctx)));
  }
  return { lib, d, transferred, deposited, repository, accountId, allStore };
}

let sink = 0;

function deserializeLoop(s: Subject, records: any[], n: number): void {
  const serializer = s.d.serializer;
  for (let i = 0; i < n; i++) sink += serializer.deserialize(records[i % 1000]).event.accountId.length;
}

async function load10k(s: Subject): Promise<void> {
  const a = await s.repository.getById(s.d.Account, s.accountId);
  if (a.deposits !== 9_999) throw new Error('bad load');
  sink += a.balance;
}

function catchUp(s: Subject): Promise<void> {
  return new Promise((resolve, reject) => {
    let count = 0;
    const sub = s.allStore.subscribeToAll(
      { after: 'start' },
      {
        onEvent: (recorded: any) => {
          sink += s.d.serializer.deserialize(recorded).event.amount;
          count++;
        },
        onLive: () => {
          void sub.close();
          if (count !== 100_000) reject(new Error(`catch-up saw ${count}`));
          else resolve();
        },
        onDropped: (reason: unknown) => reject(new Error(`dropped ${String(reason)}`)),
      },
    );
  });
}

async function timeIt(units: number, f: () => unknown, reps: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return (units * 1000) / times[times.length >> 1]!;
}

function fmt(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M/s` : `${Math.round(perSecond / 1e3)} k/s`;
}

async function main(): Promise<void> {
  const libs = [load('current', process.env.CURRENT_DIST ?? path.join(__dirname, '../../dist'))];
  if (process.env.BASELINE_DIST) libs.unshift(load('baseline', process.env.BASELINE_DIST));
  const subjects: Subject[] = [];
  for (const lib of libs) subjects.push(await subject(lib));

  // Same restored events and metadata from every build.
  for (const s of subjects) {
    const a = s.d.serializer.deserialize(s.transferred[3]);
    if (a.event.money.amount !== 103 || a.event.correlationId === undefined || a.metadata.commitId !== CONTEXT_COMMIT)
      throw new Error(`${s.lib.label}: unexpected restore`);
  }

  const cases: Array<[string, number, (s: Subject) => unknown, number]> = [
    ['deserialize Transferred (Date, bigint, Money)', 100_000, (s) => deserializeLoop(s, s.transferred, 100_000), 7],
    ['deserialize Deposited', 100_000, (s) => deserializeLoop(s, s.deposited, 100_000), 7],
    ['repository load, 10,000 events', 10_000, (s) => load10k(s), 25],
    ['subscribeToAll catch-up, 100,000 events', 100_000, (s) => catchUp(s), 3],
  ];
  const rounds = Number(process.env.ROUNDS ?? 4);
  const results = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, units, f, reps] of cases) {
      for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
        (globalThis as { gc?: () => void }).gc?.();
        const r = await timeIt(units, () => f(s), round === 0 ? 2 : reps);
        if (round === 0) continue; // warm-up round
        const key = `${name}|${s.lib.label}`;
        results.set(key, [...(results.get(key) ?? []), r]);
      }
    }
  }
  for (const [name] of cases) {
    const line: string[] = [name.padEnd(44)];
    const medians: number[] = [];
    for (const s of subjects) {
      const all = results.get(`${name}|${s.lib.label}`)!.sort((a, b) => a - b);
      const median = all[all.length >> 1]!;
      medians.push(median);
      line.push(`${s.lib.label} ${fmt(median).padStart(10)} (${all.map(fmt).join(', ')})`);
    }
    if (medians.length === 2) line.push(`-> ${(medians[1]! / medians[0]!).toFixed(2)}x`);
    console.log(line.join('  '));
  }
  if (sink === 42) console.log('');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
