// @ts-nocheck -- loads two compiled copies of the library dynamically.
/** Before/after of one repository load (getById) in isolation, 61 interleaved rounds, CPU time: ../.before/dist vs ../dist. DEP=deposits (default 9,999), REPS=loads per sample, PASS=1 for a pass-through serializer. */
import { resolve } from 'node:path';
async function make(dir) {
  const core = require(resolve(__dirname, dir, 'core'));
  const persistence = require(resolve(__dirname, dir, 'persistence'));
  const foundation = require(resolve(__dirname, dir, 'foundation'));
  const registry = new core.EventTypeRegistry();
  class Opened extends core.Event { constructor(id) { super(); this.accountId = id; } }
  class Deposited extends core.Event { constructor(id, a) { super(); this.accountId = id; this.amount = a; } }
  class Seed extends core.Command {}
  registry.register(Opened, 'Opened'); registry.register(Deposited, 'Deposited');
  class Acc extends core.AggregateRoot { static typeName = 'Acc'; static eventTypes = registry; balance = 0; applyOpened() { this.balance = 0; } applyDeposited(e) { this.balance += e.amount; } }
  class Pass extends persistence.EventSerializer { objects = []; serialize(e) { const i = this.objects.push(e) - 1; return { eventId: e.msgId, type: registry.nameOf(e), data: String(i), metadata: '' }; } deserialize(r) { return { event: this.objects[+r.data], metadata: {}, recorded: r }; } }
  const ser = process.env.PASS ? new Pass({ registry }) : new persistence.EventSerializer({ registry });
  const store = new persistence.InMemoryStreamStore();
  const src = new Seed();
  const id = '0190f3a2-1234-7abc-8def-0123456789ab';
  const evs = [new Opened(id), ...Array.from({ length: Number(process.env.DEP ?? 9999) }, (_, i) => new Deposited(id, 1 + (i % 7)))];
  for (const e of evs) { e.correlationId = src.msgId; e.causationId = src.msgId; }
  for (let i = 0; i < evs.length; i += 1000) await store.appendToStream(`acc-${id}`, i === 0 ? 'no_stream' : i - 1, evs.slice(i, i + 1000).map((e) => ser.serialize(e, { aggregateType: 'Acc', commitId: src.msgId })));
  const repo = new foundation.StreamStoreRepository({ store, serializer: ser });
  const reps = Number(process.env.REPS ?? 1); return async () => { let b = 0; for (let r = 0; r < reps; r++) b += (await repo.getById(Acc, id)).balance; return b; };
}
(async () => {
  const A = await make('../../.before/dist'), B = await make('../../dist');
  const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
  for (let w = 0; w < 10; w++) { await A(); await B(); }
  const ra = [], rb = [];
  for (let round = 0; round < 61; round++) for (const [f, out] of round % 2 ? [[A, ra], [B, rb]] : [[B, rb], [A, ra]]) { const t = cpu(); await f(); await f(); out.push(cpu() - t); }
  const med = (x) => [...x].sort((a, b) => a - b)[x.length >> 1];
  const ratios = ra.map((a, i) => a / rb[i]).sort((a, b) => a - b);
  console.log(`getById ${process.env.DEP ?? 9999} deposits ${process.env.PASS ? 'pass-through' : 'serialising'}: before µs`, med(ra), ' after µs', med(rb), ' after speedup', ratios[30].toFixed(2), 'p25', ratios[15].toFixed(2), 'p75', ratios[45].toFixed(2));
})();
