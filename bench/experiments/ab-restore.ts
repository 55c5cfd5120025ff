// @ts-nocheck -- loads two compiled copies of the library dynamically.
/** Before/after of restoreFromEvents alone (100 events, synchronous, 61 interleaved rounds, CPU time): ../.before/dist vs ../dist (see ab-dist.ts). */
import { resolve } from 'node:path';
function make(dir) {
  const core = require(resolve(__dirname, dir, 'core'));
  const registry = new core.EventTypeRegistry();
  class Opened extends core.Event { constructor(id) { super(); this.id2 = id; } }
  class Deposited extends core.Event { constructor(a) { super(); this.amount = a; } }
  registry.register(Opened, 'Opened'); registry.register(Deposited, 'Deposited');
  class Acc extends core.AggregateRoot { static typeName = 'Acc'; static eventTypes = registry; balance = 0; applyOpened() { this.balance = 0; } applyDeposited(e) { this.balance += e.amount; } }
  const events = [new Opened('x'), ...Array.from({ length: 99 }, (_, i) => new Deposited(i))];
  return () => { let s = 0; for (let r = 0; r < 2000; r++) { const a = new Acc('x'); a.restoreFromEvents(events); s += a.balance; } return s; };
}
const A = make('../../.before/dist'), B = make('../../dist');
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
for (let w = 0; w < 30; w++) { A(); B(); }
const ra = [], rb = [];
for (let round = 0; round < 61; round++) for (const [f, out] of round % 2 ? [[A, ra], [B, rb]] : [[B, rb], [A, ra]]) { const t = cpu(); f(); out.push(cpu() - t); }
const med = (x) => [...x].sort((a, b) => a - b)[x.length >> 1];
const ratios = ra.map((a, i) => a / rb[i]).sort((a, b) => a - b);
console.log('before µs', med(ra), ' after µs', med(rb), ' after speedup', ratios[30].toFixed(2), 'p25', ratios[15].toFixed(2), 'p75', ratios[45].toFixed(2));
