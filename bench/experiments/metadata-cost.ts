/** Micro-measures of the pieces of the serializer's per-event work (ns per operation). */
import { Money, Seed, Transferred, serializer } from '../lib/ours';
import { validate } from 'uuid';
const source = new Seed();
const e = new Transferred('acc-1', new Money(100, 'EUR'), new Date(Date.UTC(2026, 0, 1)), 9_007_199_254_740_993n, 'rent');
e.correlationId = source.msgId;
e.causationId = source.msgId;
const data = serializer.serialize(e, { aggregateType: 'Account', commitId: source.msgId });
console.log('payload bytes', data.data.length, 'metadata bytes', data.metadata.length);
console.log(data.metadata);
const meta = JSON.parse(data.metadata);
const payload = JSON.parse(data.data);
const RE = /__proto__|constructor|prototype|\\u/;
function time(label: string, f: () => unknown, n = 1_000_000): void {
  for (let i = 0; i < 50_000; i++) f();
  const t = performance.now();
  let sink: unknown;
  for (let i = 0; i < n; i++) sink = f();
  console.log(label.padEnd(40), ((performance.now() - t) * 1e6 / n).toFixed(0).padStart(5), 'ns', typeof sink === 'undefined' ? '' : '');
}
time('JSON.parse(payload)', () => JSON.parse(data.data));
time('JSON.parse(metadata)', () => JSON.parse(data.metadata));
time('JSON.stringify(payload obj)', () => JSON.stringify(payload));
time('JSON.stringify(metadata obj)', () => JSON.stringify(meta));
time('regex test payload', () => RE.test(data.data));
time('regex test metadata', () => RE.test(data.metadata));
time('uuid validate', () => validate(source.msgId));
time('Date toISOString', () => e.at.toISOString());
time('new Date(iso)', () => new Date('2026-01-01T00:00:00.000Z'));
time('BigInt(string)', () => BigInt('9007199254740993'));
time('/^-?\\d+$/.test', () => /^-?\d+$/.test('9007199254740993'));
