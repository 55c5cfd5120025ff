import type { CheckpointStore } from '../../src/foundation';
import { allCheckpoint } from '../../src/foundation';
import type { StreamStore } from '../../src/persistence';
import { cli } from './run-cli';
import { conversationId, seedConversations } from './seed';

/** How a SQL-store suite opens its store in the test process (to seed it and append while the CLI tails). */
export interface SqlTarget {
  /** The URL the CLI is given. */
  readonly url: string;
  /** Opens the same database in this process. */
  open(): Promise<{ store: StreamStore; checkpoints: CheckpointStore; close(): Promise<void> }>;
}

/**
 * The CLI against a real SQL store, as a child process: migrate, streams, trace, checkpoints and a live tail that
 * sees an append made by another process (this one).
 */
export function cliSqlSuite(target: () => SqlTarget): void {
  it('migrate creates the schema, and is idempotent', async () => {
    const first = await cli(['--store', target().url, 'migrate']);
    expect(first.code).toBe(0);
    const again = await cli(['--store', target().url, '--json', 'migrate']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ migrated: true });
  });

  it('streams list, streams read and trace on data written by the library', async () => {
    const opened = await target().open();
    try {
      await seedConversations(opened.store, 2);
    } finally {
      await opened.close();
    }
    const list = await cli(['--store', target().url, '--json', 'streams', 'list']);
    expect(list.code).toBe(0);
    const streams = (JSON.parse(list.stdout) as Array<{ stream: string; events: number }>).map((s) => [
      s.stream,
      s.events,
    ]);
    expect(streams).toEqual(
      expect.arrayContaining([
        ['order-1', 1],
        ['order-2', 1],
        ['warehouse-main', 2],
        [`commands-${conversationId(1)}`, 2],
      ]),
    );
    const read = await cli([
      '--store',
      target().url,
      '--json',
      'streams',
      'read',
      'warehouse-main',
      '--backwards',
    ]);
    expect((JSON.parse(read.stdout) as Array<{ revision: number }>).map((e) => e.revision)).toEqual([1, 0]);

    const trace = await cli(['--store', target().url, 'trace', conversationId(2)]);
    expect(trace.code).toBe(0);
    const lines = trace.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^▶ PlaceOrder \[command …00000002\] success /);
    expect(lines[1]).toMatch(/^└─ ● OrderPlaced order-2@0 /);
    expect(lines[2]).toMatch(/^ {3}└─ ▶ ReserveStock \[command …[0-9a-f]{8}\] success /);
    expect(lines[3]).toMatch(/^ {6}└─ ● StockReserved warehouse-main@1 /);
  });

  it('checkpoints list shows stored checkpoints; reset --yes deletes them', async () => {
    const opened = await target().open();
    try {
      await opened.checkpoints.save('orders', 'category order', allCheckpoint(42n));
    } finally {
      await opened.close();
    }
    const list = await cli(['--store', target().url, 'checkpoints', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^orders +category order +position 42$/m);
    const reset = await cli(['--store', target().url, '--json', 'checkpoints', 'reset', 'orders', '--yes']);
    expect(JSON.parse(reset.stdout)).toEqual({ model: 'orders', deleted: 1 });
    const after = await cli(['--store', target().url, '--json', 'checkpoints', 'list']);
    expect(JSON.parse(after.stdout)).toEqual([]);
  });

  it('tail prints an event appended by another process while it runs', async () => {
    const tail = cli(['--store', target().url, '--json', 'tail', '--filter', 'live-', '--count', '1']);
    // The tail starts at the end: append until it has seen one (it may not be subscribed yet at the first append).
    const opened = await target().open();
    let result: Awaited<typeof tail> | undefined;
    void tail.then((r) => (result = r));
    try {
      const deadline = Date.now() + 30_000;
      for (let i = 0; result === undefined && Date.now() < deadline; i++) {
        await opened.store.appendToStream('live-1', 'any', [
          { eventId: crypto.randomUUID(), type: 'Pinged', data: JSON.stringify({ i }), metadata: '{}' },
        ]);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await opened.close();
    }
    const run = await tail;
    expect(run.code).toBe(0);
    const [event] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { stream: string; type: string });
    expect(event).toMatchObject({ stream: 'live-1', type: 'Pinged' });
  });
}
