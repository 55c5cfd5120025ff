// @ts-nocheck -- loads two compiled copies of the library dynamically; their types are not in scope.
/**
 * Before/after of the library's hot paths in ONE process, interleaved: the same scenarios run against two compiled
 * copies of the library (`BEFORE_DIST`, default `../.before/dist`, and this checkout's `dist/`), alternating in
 * rounds, so a change in machine load hits both alike. Prints the median of each side and the after/before ratio with
 * the spread of the per-round ratios. Timed in process CPU time (`process.cpuUsage`, GC threads included), not wall
 * time: on a machine shared by many processes, wall time is mostly waiting for a core.
 *
 * Not part of `npm run bench` (it needs a build of the old code). Make the "before" build inside the repository (so it resolves the same node_modules), e.g. from a clean checkout of
 * the old commit: `npx tsc -p tsconfig.build.json --outDir .before/dist`, then copy `.before/` here (it is not
 * committed). Run from bench/: `ROUNDS=15 node --expose-gc --import tsx tools/ab-dist.ts [scenario ...]`. Check
 * the noise first with an A/A run (BEFORE_DIST pointing at a copy of the current dist/).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';

type Lib = { core: any; persistence: any; foundation: any; messaging: any };
const load = (dir: string): Lib => ({
  core: require(`${dir}/core`),
  persistence: require(`${dir}/persistence`),
  foundation: require(`${dir}/foundation`),
  messaging: require(`${dir}/messaging`),
});

/** The bench domain built over one copy of the library. */
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
    static override eventTypes = registry;
    balance = 0;
    deposits = 0;
    deposit(amount: number): void {
      this.raise(new Deposited(this.id, amount));
    }
    protected applyAccountOpened(): void {
      this.balance = 0;
    }
    protected applyDeposited(e: Deposited): void {
      this.balance += e.amount;
      this.deposits++;
    }
  }
  class Deposit extends Command {
    constructor(
      readonly accountId: string,
      readonly amount: number,
    ) {
      super();
    }
  }
  class Empty extends Command {}
  class Seed extends Command {}
  const { EventSerializer, InMemoryStreamStore } = lib.persistence;
  const serializer = new EventSerializer({ registry });
  /** Bench pass-through serializer (see bench/lib/ours.ts). */
  class Pass extends EventSerializer {
    objects: object[] = [];
    serialize(event: any) {
      const index = this.objects.push(event) - 1;
      return { eventId: event.msgId, type: registry.nameOf(event), data: String(index), metadata: '' };
    }
    deserialize(recorded: any) {
      return { event: this.objects[+recorded.data], metadata: {}, recorded };
    }
    deserializeEvent(recorded: any) {
      return this.objects[+recorded.data];
    }
  }
  const correlated = (e: any, src: any) => {
    e.correlationId = src.msgId;
    e.causationId = src.msgId;
    return e;
  };
  return { lib, registry, AccountOpened, Deposited, Money, Transferred, Account, Deposit, Empty, Seed, serializer, Pass, InMemoryStreamStore, correlated };
}
type Domain = ReturnType<typeof domain>;

/** A scenario: prepare once per side, then `run` returns the units done (timed). */
type Scenario = { name: string; unit: string; prepare: (d: Domain) => Promise<() => Promise<number> | number> };

async function rehydrate(d: Domain, deposits: number, pass: boolean, reps: number) {
  const store = new d.InMemoryStreamStore();
  const ser = pass ? new d.Pass({ registry: d.registry }) : d.serializer;
  const id = randomUUID();
  const src = new d.Seed();
  const events = [correlatedAll(d, [new d.AccountOpened(id)], src), ...Array.from({ length: deposits }, (_, i) => d.correlated(new d.Deposited(id, 1 + (i % 7)), src))].flat();
  await store.appendToStream(`account-${id}`, 'no_stream', events.map((e: any) => ser.serialize(e, { aggregateType: 'Account', commitId: src.msgId })));
  const repo = new d.lib.foundation.StreamStoreRepository({ store, serializer: ser });
  return async () => {
    for (let r = 0; r < reps; r++) {
      const a = await repo.getById(d.Account, id);
      if (a.deposits !== deposits) throw new Error('bad');
    }
    return reps * (deposits + 1);
  };
}
const correlatedAll = (d: Domain, es: any[], src: any) => es.map((e) => d.correlated(e, src));

async function commands(d: Domain, via: 'dispatcher' | 'repository', pass: boolean, cache: boolean, n: number) {
  const ids = Array.from({ length: 1000 }, () => randomUUID());
  const ser = pass ? new d.Pass({ registry: d.registry }) : d.serializer;
  const store = new d.InMemoryStreamStore();
  const src = new d.Seed();
  for (const id of ids) await store.appendToStream(`account-${id}`, 'no_stream', [ser.serialize(d.correlated(new d.AccountOpened(id), src))]);
  const repo = new d.lib.foundation.CorrelatedRepository(
    new d.lib.foundation.StreamStoreRepository({ store, serializer: ser, ...(cache ? { cache: { maxAggregates: 10_000 } } : {}) }),
  );
  const dispatcher = new d.lib.messaging.CommandDispatcher();
  dispatcher.register(d.Deposit, async (c: any) => {
    const a = await repo.getById(d.Account, c.accountId, c);
    a.deposit(c.amount);
    await repo.save(a);
  });
  let i = 0;
  return async () => {
    for (let k = 0; k < n; k++, i++) {
      const id = ids[i % 1000]!;
      if (via === 'dispatcher') await dispatcher.send(new d.Deposit(id, 1));
      else {
        const c = new d.Deposit(id, 1);
        const a = await repo.getById(d.Account, id, c);
        a.deposit(1);
        await repo.save(a);
      }
    }
    return n;
  };
}

const scenarios: Scenario[] = [
  { name: 'rehydrate-100 non-serialising', unit: 'events', prepare: (d) => rehydrate(d, 99, true, 200) },
  { name: 'rehydrate-100 serialising', unit: 'events', prepare: (d) => rehydrate(d, 99, false, 20) },
  { name: 'rehydrate-1000 non-serialising', unit: 'events', prepare: (d) => rehydrate(d, 999, true, 20) },
  { name: 'rehydrate-10000 serialising', unit: 'events', prepare: (d) => rehydrate(d, 9999, false, 1) },
  {
    name: 'restoreFromEvents-100',
    unit: 'events',
    prepare: async (d) => {
      const id = randomUUID();
      const events = [new d.AccountOpened(id), ...Array.from({ length: 99 }, (_, i) => new d.Deposited(id, 1 + (i % 7)))];
      const read = async () => events;
      return async () => {
        for (let r = 0; r < 500; r++) {
          const a = new d.Account(id);
          a.restoreFromEvents(await read());
          if (a.deposits !== 99) throw new Error('bad');
        }
        return 500 * 100;
      };
    },
  },
  {
    name: 'empty send',
    unit: 'commands',
    prepare: async (d) => {
      const dispatcher = new d.lib.messaging.CommandDispatcher();
      dispatcher.register(d.Empty, () => undefined);
      return async () => {
        for (let k = 0; k < 5000; k++) await dispatcher.send(new d.Empty());
        return 5000;
      };
    },
  },
  { name: 'commands dispatcher non-serialising', unit: 'commands', prepare: (d) => commands(d, 'dispatcher', true, false, 3000) },
  { name: 'commands repository non-serialising', unit: 'commands', prepare: (d) => commands(d, 'repository', true, false, 3000) },
  { name: 'commands dispatcher serialising', unit: 'commands', prepare: (d) => commands(d, 'dispatcher', false, false, 1000) },
  { name: 'commands dispatcher serialising cache', unit: 'commands', prepare: (d) => commands(d, 'dispatcher', false, true, 3000) },
  {
    name: 'serialize only (Deposited)',
    unit: 'events',
    prepare: async (d) => {
      const src = new d.Seed();
      const evs = Array.from({ length: 1000 }, (_, i) => d.correlated(new d.Deposited(`acc-${i}`, i), src));
      const ctx = { aggregateType: 'Account', commitId: src.msgId };
      return () => {
        let n = 0;
        for (let i = 0; i < 20_000; i++) n += d.serializer.serialize(evs[i % 1000], ctx).metadata.length;
        if (n === 0) throw new Error('bad');
        return 20_000;
      };
    },
  },
  {
    name: 'serializer round trip',
    unit: 'events',
    prepare: async (d) => {
      const src = new d.Seed();
      const evs = Array.from({ length: 1000 }, (_, i) =>
        d.correlated(new d.Transferred(`acc-${i}`, new d.Money(100 + i, 'EUR'), new Date(Date.UTC(2026, 0, 1, 0, 0, i)), 9_007_199_254_740_993n + BigInt(i), 'rent'), src),
      );
      const ctx = { aggregateType: 'Account', commitId: src.msgId };
      const rec: any = { streamName: 'account-1', revision: 0, position: 64n, eventId: '', type: '', data: '', metadata: '', created: new Date(0) };
      return () => {
        for (let i = 0; i < 10_000; i++) {
          const data = d.serializer.serialize(evs[i % 1000], ctx);
          rec.eventId = data.eventId;
          rec.type = data.type;
          rec.data = data.data;
          rec.metadata = data.metadata;
          const e = d.serializer.deserialize(rec).event;
          if (!(e.at instanceof Date)) throw new Error('bad');
        }
        return 10_000;
      };
    },
  },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const only = process.argv.slice(2);
  const before = domain(load(process.env.BEFORE_DIST ?? resolve(__dirname, '../../.before/dist')));
  const after = domain(load(resolve(__dirname, '../../dist')));
  const rounds = Number(process.env.ROUNDS ?? 15);
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  for (const s of scenarios) {
    if (only.length && !only.some((o) => s.name.includes(o))) continue;
    const runs = [await s.prepare(before), await s.prepare(after)];
    for (let w = 0; w < 3; w++) for (const r of runs) await r(); // warm-up
    const rates: number[][] = [[], []];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [1, 0] : [0, 1];
      for (const k of order) {
        gc();
        // CPU time, not wall time: on a shared, overloaded machine the wall clock mostly measures waiting for a core.
        const t = process.cpuUsage();
        const units = await runs[k]!();
        const used = process.cpuUsage(t);
        rates[k]!.push(units / ((used.user + used.system) / 1e6));
      }
    }
    const ratios = rates[1]!.map((r, i) => r / rates[0]![i]!);
    const sorted = [...ratios].sort((a, b) => a - b);
    const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);
    console.log(
      `${s.name.padEnd(40)} before ${fmt(median(rates[0]!)).padStart(9)} ${s.unit}/s  after ${fmt(median(rates[1]!)).padStart(9)}  after/before ${median(ratios).toFixed(2)}x (per-round ratios p25 ${sorted[Math.floor(sorted.length / 4)]!.toFixed(2)}, p75 ${sorted[Math.floor((3 * sorted.length) / 4)]!.toFixed(2)})`,
    );
  }
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
