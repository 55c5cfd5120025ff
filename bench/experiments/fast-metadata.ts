/**
 * Experiment behind the proposed serializer change: write the metadata by concatenation and read it back with a
 * small exact parser for the flat shape the serializer itself writes (falling back to JSON.parse for anything else),
 * instead of JSON.stringify/JSON.parse of an object per event. Prints ns per operation, old vs new, in one process.
 */
import { Seed } from '../lib/ours';

const KNOWN = new Set(['$correlationId', '$causationId', 'schemaVersion', 'aggregateType', 'commitId', 'rdMetaVersion']);

/** Writes what `EventSerializer.serialize` writes today (same keys, same order), without building an object. */
export function writeMetadata(correlationId: string | undefined, causationId: string | undefined, schemaVersion: number, aggregateType: string | undefined, commitId: string | undefined): string {
  let text = '{';
  if (correlationId !== undefined) text += '"$correlationId":' + JSON.stringify(correlationId) + ',';
  if (causationId !== undefined) text += '"$causationId":' + JSON.stringify(causationId) + ',';
  text += '"schemaVersion":' + schemaVersion;
  if (aggregateType !== undefined) text += ',"aggregateType":' + JSON.stringify(aggregateType);
  if (commitId !== undefined) text += ',"commitId":' + JSON.stringify(commitId);
  return text + ',"rdMetaVersion":1}';
}

/**
 * Reads a flat object of known keys with string (no escapes) or non-negative integer values. Returns undefined for
 * anything else (headers, escapes, unknown keys, other number forms), which then goes through JSON.parse as today.
 */
export function readFlatMetadata(text: string): Record<string, string | number> | undefined {
  if (text.charCodeAt(0) !== 123 /* { */ || text.indexOf('\\') !== -1) return undefined;
  const out: Record<string, string | number> = {};
  let i = 1;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) !== 34 /* " */) return undefined;
    const keyEnd = text.indexOf('"', i + 1);
    if (keyEnd < 0) return undefined;
    const key = text.slice(i + 1, keyEnd);
    if (!KNOWN.has(key) || text.charCodeAt(keyEnd + 1) !== 58 /* : */) return undefined;
    i = keyEnd + 2;
    const c = text.charCodeAt(i);
    if (c === 34) {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out[key] = text.slice(i + 1, end);
      i = end + 1;
    } else if (c >= 48 && c <= 57) {
      let v = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d < 48 || d > 57) break;
        v = v * 10 + (d - 48);
        i++;
      }
      if (v > Number.MAX_SAFE_INTEGER) return undefined;
      out[key] = v;
    } else return undefined;
    const sep = text.charCodeAt(i);
    if (sep === 125 /* } */) return i === n - 1 ? out : undefined;
    if (sep !== 44 /* , */) return undefined;
    i++;
  }
}

function time(label: string, f: () => unknown, n = 1_000_000): number {
  for (let i = 0; i < 100_000; i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  const ns = ((performance.now() - t) * 1e6) / n;
  console.log(label.padEnd(52), ns.toFixed(0).padStart(5), 'ns');
  return ns;
}

if (require.main === module) {
  const s = new Seed();
  const meta = { $correlationId: s.msgId, $causationId: s.msgId, schemaVersion: 1, aggregateType: 'Account', commitId: s.msgId, rdMetaVersion: 1 };
  const text = JSON.stringify(meta);
  const mine = writeMetadata(s.msgId, s.msgId, 1, 'Account', s.msgId);
  if (mine !== text) throw new Error(`writer differs:\n${mine}\n${text}`);
  const parsed = readFlatMetadata(text);
  if (JSON.stringify(parsed) !== text) throw new Error('reader differs');
  if (readFlatMetadata('{"headers":{"a":1}}') !== undefined || readFlatMetadata('{"__proto__":"x"}') !== undefined) throw new Error('fallback expected');
  const RE = /__proto__|constructor|prototype|\\u/;
  for (let round = 0; round < 2; round++) {
    const a = time('today: build object + JSON.stringify', () => JSON.stringify({ ...meta }));
    const b = time('proposed: concatenation', () => writeMetadata(s.msgId, s.msgId, 1, 'Account', s.msgId));
    const c = time('today: JSON.parse + forbidden-key regex', () => (RE.test(text), JSON.parse(text)));
    const d = time('proposed: flat reader', () => readFlatMetadata(text));
    console.log(`  write ${(a / b).toFixed(1)}x faster, read ${(c / d).toFixed(1)}x faster, saved per event round trip: ${(a - b + c - d).toFixed(0)} ns\n`);
  }
}
