/**
 * Crash safety of the SQLite store, with real processes: a child appends multi-event batches in a loop and is
 * killed with SIGKILL at a random moment, ten times over the same file. After each kill the file is reopened and
 * must show every acknowledged append, no partial batch, contiguous revisions, and accept new appends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStreamStore } from '../../../src/adapters/sqlite';
import type { RecordedEvent } from '../../../src/persistence/stream-store';
import { FixtureProcess } from './fixtures/child-process';

const KILLS = 10;
const STREAMS = 5;

interface Ack {
  readonly stream: string;
  readonly first: number;
  readonly last: number;
  readonly batch: string;
}

function parseAcks(lines: readonly string[]): Ack[] {
  return lines
    .filter((line) => line.startsWith('ack '))
    .map((line) => {
      const [, stream, first, last, batch] = line.split(' ');
      return { stream: stream!, first: Number(first), last: Number(last), batch: batch! };
    });
}

async function readWholeStream(store: SqliteStreamStore, stream: string): Promise<RecordedEvent[]> {
  const result = await store.readStream(stream, { maxCount: 1_000_000 });
  return result.status === 'ok' ? [...result.events] : [];
}

describe('SqliteStreamStore survives SIGKILL', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-crash-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps every acknowledged append and no partial one across ${KILLS} random kills`, async () => {
    const file = join(dir, 'crash.sqlite');
    const acks: Ack[] = [];
    const summary: string[] = [];
    for (let run = 0; run < KILLS; run++) {
      const child = new FixtureProcess('append-loop.ts', [file, 'crash', String(STREAMS), 'forever']);
      await child.waitFor((lines) => lines.includes('ready'), 'the child to open the store');
      // A random moment: after some acks, plus a random sub-millisecond-to-20 ms delay, so the kill lands anywhere
      // in the append cycle (in the transaction, during the fsync, between appends).
      const target = 1 + Math.floor(Math.random() * 40);
      await child.waitFor((lines) => parseAcks(lines).length >= target, `${target} acks`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
      child.kill();
      const exit = await child.exited;
      expect(exit.signal).toBe('SIGKILL');
      const runAcks = parseAcks(child.lines);
      acks.push(...runAcks);

      const store = SqliteStreamStore.open(file);
      try {
        const batches = new Map<string, { size: number; seen: number }>();
        let total = 0;
        for (let i = 0; i < STREAMS; i++) {
          const stream = `crash-${i}`;
          const events = await readWholeStream(store, stream);
          total += events.length;
          // Contiguous revisions 0..n-1.
          events.forEach((event, index) => expect(event.revision).toBe(index));
          for (const event of events) {
            const data = JSON.parse(event.data) as { batch: string; index: number; size: number };
            const entry = batches.get(data.batch) ?? { size: data.size, seen: 0 };
            entry.seen++;
            batches.set(data.batch, entry);
          }
        }
        // No partial append: every batch found has all its events.
        for (const [batch, entry] of batches)
          expect({ batch, seen: entry.seen }).toEqual({ batch, seen: entry.size });
        // Every acknowledged append is there, at the acknowledged revisions.
        for (const ack of acks) {
          const events = await readWholeStream(store, ack.stream);
          for (let revision = ack.first; revision <= ack.last; revision++) {
            expect((JSON.parse(events[revision]!.data) as { batch: string }).batch).toBe(ack.batch);
          }
        }
        // $all agrees with the streams: same number of events, increasing positions.
        const all = await store.readAll({ maxCount: 1_000_000 });
        expect(all.events).toHaveLength(total);
        for (let i = 1; i < all.events.length; i++)
          expect(all.events[i]!.position > all.events[i - 1]!.position).toBe(true);
        // New appends are accepted, with the exact expected version.
        const last = (await readWholeStream(store, 'crash-0')).length - 1;
        const appended = await store.appendToStream('crash-0', last < 0 ? 'no_stream' : last, []);
        expect(appended.nextExpectedVersion).toBe(last);
        summary.push(`run ${run + 1}: ${runAcks.length} acks, ${total} events on file`);
      } finally {
        await store.close();
      }
    }
    // One line for the report: how much was appended and killed.
    process.stdout.write(`SIGKILL runs: ${summary.join('; ')}\n`);
    expect(acks.length).toBeGreaterThanOrEqual(KILLS);
  }, 300_000);
});
