/**
 * What-if: the rehydrate (10,000 events, serialising store) and serializer workloads with the proposed metadata read
 * fast path, patched in by overriding the public `EventSerializer.readMetadata` in a subclass. Same process, same
 * data, today's serializer vs the patched one.
 */
import { randomUUID } from 'node:crypto';
import { Account, InMemoryStreamStore, Money, Seed, Transferred, newRepository, registry, seedAccount, serializer } from '../lib/ours';
import { EventSerializer, type EventMetadata, type RecordedEvent } from '../../dist/persistence';
import { readCanonicalIds } from './quick-ids';

/**
 * Approximates the proposal: canonical metadata yields the ids and schema version from fixed offsets; the remaining
 * keys would be parsed lazily (here they are simply not produced, which is what a lazy parse costs until asked).
 */
class FastMetadataSerializer extends EventSerializer {
  override readMetadata(recorded: RecordedEvent): EventMetadata {
    const ids = readCanonicalIds(recorded.metadata);
    if (!ids) return super.readMetadata(recorded);
    return { $correlationId: ids.correlationId, $causationId: ids.causationId, schemaVersion: ids.schemaVersion };
  }
}
const fast = new FastMetadataSerializer({ registry });

async function rate(label: string, units: number, f: () => Promise<unknown> | unknown, rounds = 30): Promise<number> {
  for (let i = 0; i < 5; i++) await f();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const perSecond = (units * 1000) / times[times.length >> 1]!;
  console.log(label.padEnd(50), Math.round(perSecond).toLocaleString('en').padStart(12), '/s');
  return perSecond;
}

async function main(): Promise<void> {
  const id = randomUUID();
  const store = new InMemoryStreamStore();
  await seedAccount(store, id, 9_999);
  // Correctness: both serializers restore the same events and metadata.
  const page = await store.readStream(`account-${id}`, { maxCount: 50 });
  if (page.status !== 'ok') throw new Error('seed');
  for (const r of page.events) {
    const a = serializer.deserialize(r);
    const b = fast.deserialize(r);
    if (JSON.stringify(a.event) !== JSON.stringify(b.event) || b.metadata.$correlationId !== a.metadata.$correlationId) throw new Error('differs');
  }
  const today = newRepository(store);
  const patched = newRepository(store, { serializer: fast });
  for (let round = 0; round < 2; round++) {
    const a = await rate('rehydrate 10,000 events, today', 10_000, () => today.getById(Account, id));
    const b = await rate('rehydrate 10,000 events, metadata fast path', 10_000, () => patched.getById(Account, id));
    console.log(`  -> ${(b / a).toFixed(2)}x`);
  }
  const source = new Seed();
  const events = Array.from({ length: 1000 }, (_, i) => {
    const e = new Transferred(`acc-${i}`, new Money(100 + i, 'EUR'), new Date(Date.UTC(2026, 0, 1, 0, 0, i)), 9_007_199_254_740_993n + BigInt(i), 'rent');
    e.correlationId = source.msgId;
    e.causationId = source.msgId;
    return e;
  });
  const ctx = { aggregateType: 'Account', commitId: source.msgId };
  const roundTrip = (s: EventSerializer) => () => {
    for (let i = 0; i < 20_000; i++) {
      const d = s.serialize(events[i % 1000]!, ctx);
      s.deserialize({ streamName: 's', revision: i, position: 64n, created: new Date(0), ...d });
    }
  };
  for (let round = 0; round < 2; round++) {
    const a = await rate('serializer round trip, today', 20_000, roundTrip(serializer), 10);
    const b = await rate('serializer round trip, metadata read fast path', 20_000, roundTrip(fast), 10);
    console.log(`  -> ${(b / a).toFixed(2)}x`);
  }
}
void main();
