/**
 * Two processes on one SQLite file: a subscription in this process sees appends made by a child process (woken by
 * polling, since no in-process signal can reach it), in order, exactly once; and a busy lock held by another
 * process beyond the busy timeout fails an append with a typed error and writes nothing.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBusyError, SqliteStreamStore } from '../../../src/adapters/sqlite';
import { newId } from '../../../src/core/id';
import type { RecordedEvent } from '../../../src/persistence/stream-store';
import { FixtureProcess } from './fixtures/child-process';

const hashOf = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** As root, file permissions do not apply: the child then runs as `nobody`, for whom the file is read-only. */
const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

const anEvent = () => ({ eventId: newId(), type: 'Tested', data: '{}', metadata: '{}' });

async function eventually(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SqliteStreamStore across processes', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-multi-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a subscription sees another process's appends, in order, each once", async () => {
    const file = join(dir, 'shared.sqlite');
    const store = SqliteStreamStore.open(file, { pollIntervalMs: 50 });
    const seen: RecordedEvent[] = [];
    let live = false;
    const subscription = store.subscribeToAll(
      { filter: { on: 'streamName', prefixes: ['other-'] } },
      { onEvent: (event) => void seen.push(event), onLive: () => (live = true) },
    );
    try {
      await eventually(() => live, 'the subscription to be live');
      const child = new FixtureProcess('append-loop.ts', [file, 'other', '3', '12']);
      await child.waitFor((lines) => lines.includes('done'), 'the child to finish its appends');
      expect((await child.exited).code).toBe(0);
      // 12 appends of 1..4 events each: 3 x (1+2+3+4) = 30 events.
      await eventually(() => seen.length >= 30, `30 events (have ${seen.length})`);
      expect(seen).toHaveLength(30);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.position > seen[i - 1]!.position).toBe(true);
      expect(new Set(seen.map((e) => e.eventId)).size).toBe(30);
      // And the child's streams read here exactly as it wrote them.
      const stream = await store.readStream('other-0');
      expect(stream.status === 'ok' && stream.events.map((e) => e.revision)).toEqual(
        // appends n = 0, 3, 6, 9 of sizes 1, 4, 3, 2
        Array.from({ length: 10 }, (_, i) => i),
      );
    } finally {
      await subscription.close();
      await store.close();
    }
  }, 120_000);

  it.each([
    ['in a read-only directory: refused at open', 0o755, 'open'],
    ['in a writable directory: opened read-only, reads work, the append is refused', 0o777, 'append'],
  ] as const)(
    'a read-only file %s, with SqliteReadOnlyError, and the file unchanged',
    async (_label, dirMode, step) => {
      chmodSync(dir, 0o755); // the unprivileged child must reach the directory
      const roDir = join(dir, `ro-${dirMode.toString(8)}`);
      mkdirSync(roDir);
      const file = join(roDir, 'ro.sqlite');
      const writer = SqliteStreamStore.open(file);
      await writer.appendToStream('ro-1', 'no_stream', [anEvent()]);
      await writer.close(); // the last connection checkpoints the WAL into the file
      chmodSync(file, 0o444);
      chmodSync(roDir, dirMode);
      const before = hashOf(file);
      const child = new FixtureProcess('try-append.ts', [file], unprivileged);
      await child.waitFor((lines) => lines.length > 0, 'the outcome line');
      const outcome = JSON.parse(child.lines[0]!) as Record<string, string>;
      expect(outcome).toMatchObject({ step, name: 'SqliteReadOnlyError', code: 'SQLITE_READONLY' });
      expect(outcome.sqliteCode).toMatch(/^SQLITE_READONLY/);
      expect(hashOf(file)).toBe(before);
    },
    60_000,
  );

  it('an append blocked by another process beyond the busy timeout fails with SqliteBusyError and writes nothing', async () => {
    const file = join(dir, 'locked.sqlite');
    const store = SqliteStreamStore.open(file, { busyTimeoutMs: 200 });
    await store.appendToStream('locked-1', 'no_stream', [anEvent()]);
    const holder = new FixtureProcess('hold-lock.ts', [file]);
    try {
      await holder.waitFor((lines) => lines.includes('locked'), 'the other process to hold the lock');
      const error = await store.appendToStream('locked-1', 0, [anEvent(), anEvent()]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SqliteBusyError);
      expect(error).toMatchObject({ code: 'SQLITE_BUSY', sqliteCode: 'SQLITE_BUSY', path: file });
      expect((error as Error).message).toMatch(/locked\.sqlite.*append to "locked-1".*busy timeout/);
      // WAL: reads go on while another process writes; nothing of the failed append is there.
      const during = await store.readStream('locked-1');
      expect(during.status === 'ok' && during.lastRevision).toBe(0);
      holder.write('release\n');
      await holder.waitFor((lines) => lines.includes('released'), 'the lock to be released');
      const after = await store.appendToStream('locked-1', 0, [anEvent()]);
      expect(after.nextExpectedVersion).toBe(1);
    } finally {
      holder.kill();
      await store.close();
    }
  }, 120_000);
});
