import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteDatabase, SqliteStreamStore } from '../../src/adapters/sqlite';

/** `npm run demo` is one of the README's two newcomer commands: it must run as written and tell the story. */
describe('npm run demo', () => {
  const root = resolve(__dirname, '../..');
  const env = { ...process.env };
  delete env.EVENTSTORE_URL; // the README's command runs on the embedded default
  delete env.PG_URL;
  const demo = (...args: string[]): string =>
    execFileSync('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: root, encoding: 'utf8', env });

  const expectTheStory = (out: string): void => {
    expect(out).toMatch(/-> PlaceOrder/);
    expect(out).toMatch(/order-…[0-9a-f]{6}@0 +OrderPlaced/);
    expect(out).toMatch(/== Correlation chain of Ada's order/);
    expect(out).toMatch(/All expected outcomes observed\.\s*$/);
    // Readable: no process-manager bookkeeping, commands shown in the causation chain, no raw UUIDs anywhere.
    expect(out).not.toContain('ProcessManager.InputReceived');
    expect(out).toMatch(/^ +-> ReserveStock +…[0-9a-f]{6} +command$/m);
    expect(out).toContain('out of stock: 4 x mouse asked');
    // ...except the one id to copy: the command that traces the order from the store.
    const trace =
      /^ +The whole tree, from the store: npx reactive-domain --store 'sqlite:[^']+' trace [0-9a-f-]{36}$/m;
    // A durable store outlives the demo: it prints how to trace the order from it (the in-memory one does not).
    if (out.startsWith('store: in-memory')) expect(out).not.toMatch(trace);
    else expect(out).toMatch(trace);
    expect(out.replace(trace, '')).not.toMatch(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/,
    );
  };

  const eventsIn = async (file: string): Promise<number> => {
    const store = SqliteStreamStore.open(file);
    try {
      return await store.countEvents();
    } finally {
      await store.close();
    }
  };

  it('runs the order service end to end on the in-memory store with --in-memory and exits 0', () => {
    const out = demo('--in-memory');
    expect(out.split('\n')[0]).toBe('store: in-memory (nothing kept between runs)');
    expectTheStory(out);
  });

  it('runs on SQLite by default; a second run resumes with the first run’s events and orders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-demo-'));
    const file = join(dir, 'order-service.sqlite');
    try {
      const first = demo('--file', file, '--reset');
      expect(first.split('\n')[0]).toBe(`store: ${file} (0 events from earlier runs)`);
      expectTheStory(first);
      expect(first).toMatch(/Orders from earlier runs +-> 0\n/);
      const afterFirst = await eventsIn(file);
      expect(afterFirst).toBeGreaterThan(10);

      const second = demo('--file', file);
      expect(second.split('\n')[0]).toBe(`store: ${file} (${afterFirst} events from earlier runs)`);
      expectTheStory(second);
      // The read model shows the first run's three orders next to the new ones.
      expect(second).toMatch(/Orders from earlier runs +-> 3, newest first:/);
      // The second run appended exactly as many events as the first: the same story, no old order re-fulfilled.
      expect((await eventsIn(file)) - afterFirst).toBe(afterFirst);
      // The saga keeps its checkpoints in the file, so a run resumes after the last handled event.
      const database = SqliteDatabase.open(file);
      try {
        const rows = database.connection
          .prepare("SELECT model, source_key FROM rd_checkpoints WHERE model LIKE 'process:%'")
          .all();
        expect(rows.length).toBeGreaterThan(0);
      } finally {
        database.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
