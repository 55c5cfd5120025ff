// Prints a workload result file (JSON written by a workload) as a compact table. Usage: node lib/show.mjs FILE
import { readFileSync } from 'node:fs';
const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const c of r.cases) {
  console.log(c.title);
  for (const x of c.contenders)
    console.log('  ', x.name.padEnd(52), Math.round(x.perSecond).toLocaleString('en').padStart(14), `${x.medianMs.toFixed(2)}ms`.padStart(12), String(x.samples).padStart(5), `±${x.madPct.toFixed(1)}%`.padStart(7), x.extra ? JSON.stringify(x.extra) : '');
  for (const k of c.comparisons) console.log('    ', k.us.padEnd(50), 'vs peer', k.vsPeer?.toFixed(2), `(${k.fastestPeer})`, ' vs floor', k.vsFloor.toFixed(2));
}
