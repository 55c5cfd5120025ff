/** Profiling driver: serialise + deserialise the serializer workload's event in a loop (run with --cpu-prof). */
import { Money, Seed, Transferred, serializer } from '../lib/ours';
import type { RecordedEvent } from '../../dist/persistence';
const mode = process.argv[2] ?? 'both';
const source = new Seed();
const events = Array.from({ length: 1000 }, (_, i) => {
  const e = new Transferred(`acc-${i}`, new Money(100 + i, 'EUR'), new Date(Date.UTC(2026, 0, 1, 0, 0, i)), 9_007_199_254_740_993n + BigInt(i), 'rent');
  e.correlationId = source.msgId;
  e.causationId = source.msgId;
  return e;
});
const ctx = { aggregateType: 'Account', commitId: source.msgId };
const datas = events.map((e) => serializer.serialize(e, ctx));
const rec = (i: number): RecordedEvent => ({ streamName: 's', revision: i, position: 64n, created: new Date(0), ...datas[i % 1000]! });
const recs = Array.from({ length: 1000 }, (_, i) => rec(i));
const N = Number(process.env.N ?? 1_000_000);
const t = performance.now();
let x = 0;
for (let i = 0; i < N; i++) {
  if (mode !== 'deserialize') x += serializer.serialize(events[i % 1000]!, ctx).data.length;
  if (mode !== 'serialize') x += (serializer.deserialize<Transferred>(recs[i % 1000]!).event.money.amount);
}
console.log(mode, Math.round(N / ((performance.now() - t) / 1000)), 'per s', x > 0);
