// Summarises a .cpuprofile: self time per function (top N) and inclusive time for functions whose name matches.
// Usage: node lib/profile-summary.mjs FILE [N] [filter]
import { readFileSync } from 'node:fs';
const [file, n = '25', filter] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const counts = new Map();
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
const total = profile.samples.length;
const label = (node) => {
  const f = node.callFrame;
  const file = f.url ? f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/') : '';
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
};
for (const [id, count] of counts) {
  const key = label(nodes.get(id));
  self.set(key, (self.get(key) ?? 0) + count);
}
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
console.log(`self time (of ${total} samples):`);
for (const [key, count] of top) console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${key}`);
// inclusive time: a node's samples plus its descendants'
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map();
for (const [id, count] of counts) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = label(nodes.get(cur));
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + count);
  }
}
const incTop = [...inclusive].filter(([k]) => !filter || k.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, Number(n));
console.log(`\ninclusive time${filter ? ` (matching ${filter})` : ''}:`);
for (const [key, count] of incTop) console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${key}`);
