import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InMemoryStreamStore } from '../../src/persistence';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-test-server';
import { CLI, FIXTURES, assertBuilt, cli } from './run-cli';

/**
 * The `reactive-domain` command run as users run it: a child process of the built CLI (dist/cli/main.js, produced by
 * `npm run build`, which `npm test` runs first), here against the config fixture's seeded in-memory store and an
 * EventStoreDB wire server. The SQL stores have their own suites (cli.sqlite / cli.postgres).
 */
const CONFIG = resolve(FIXTURES, 'order-config.cjs');

const conversation = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

beforeAll(assertBuilt);

describe('reactive-domain CLI (config store)', () => {
  it('the bin is an executable node script (npx reactive-domain runs it)', () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
  });

  it('--help everywhere, exit 0', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['streams', 'tail', 'trace', 'checkpoints', 'migrate', 'rebuild'])
      expect(top.stdout).toContain(command);
    const read = await cli(['streams', 'read', '--help']);
    expect(read.code).toBe(0);
    expect(read.stdout).toMatch(/--backwards/);
    const reset = await cli(['checkpoints', 'reset', '--help']);
    expect(reset.stdout).toMatch(/--yes/);
  });

  it('streams list: every stream with its count and last revision; --prefix; --json', async () => {
    const text = await cli(['-c', CONFIG, 'streams', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^STREAM +EVENTS +LAST REV +LAST WRITE$/m);
    expect(text.stdout).toMatch(/^warehouse-main +3 +2 +\d{4}-/m);
    expect(text.stdout).toMatch(/^order-1 +1 +0 /m);
    expect(text.stderr).toMatch(/7 stream\(s\)/);

    const json = await cli(['-c', CONFIG, '--json', 'streams', 'list', '--prefix', 'order-']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ stream: string; events: number; lastRevision: number }>;
    expect(rows.map((row) => row.stream)).toEqual(['order-1', 'order-2', 'order-3']);
    expect(rows[0]).toMatchObject({ events: 1, lastRevision: 0 });
  });

  it('streams read: forwards, backwards from the end, --from, --max; JSON carries data and metadata', async () => {
    const forwards = await cli(['-c', CONFIG, '--json', 'streams', 'read', 'warehouse-main']);
    const all = JSON.parse(forwards.stdout) as Array<{
      revision: number;
      type: string;
      data: unknown;
      metadata: { $correlationId: string };
    }>;
    expect(all.map((e) => e.revision)).toEqual([0, 1, 2]);
    expect(all[1]).toMatchObject({
      type: 'StockReserved',
      data: { orderId: '2' },
      metadata: { $correlationId: conversation(2) },
    });

    const backwards = await cli([
      '-c',
      CONFIG,
      '--json',
      'streams',
      'read',
      'warehouse-main',
      '--backwards',
      '--max',
      '2',
    ]);
    expect((JSON.parse(backwards.stdout) as Array<{ revision: number }>).map((e) => e.revision)).toEqual([
      2, 1,
    ]);
    const from = await cli(['-c', CONFIG, '--json', 'streams', 'read', 'warehouse-main', '--from', '1']);
    expect((JSON.parse(from.stdout) as Array<{ revision: number }>).map((e) => e.revision)).toEqual([1, 2]);

    const text = await cli(['-c', CONFIG, 'streams', 'read', 'order-2']);
    expect(text.stdout).toMatch(/order-2@0 +#\d+ +OrderPlaced .* corr=00000000-0000-4000-8000-000000000002/);
    expect(text.stdout).toMatch(/\{"orderId":"2"\}/);
  });

  it('typed errors are one line on stderr with a non-zero exit; usage errors exit 2', async () => {
    const missing = await cli(['-c', CONFIG, 'streams', 'read', 'nope-1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([
      'reactive-domain: STREAM_NOT_FOUND: Stream "nope-1" was not found',
    ]);

    const badUrl = await cli(['--store', 'mysql://u:secret@localhost/db', 'streams', 'list']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/^reactive-domain: UNSUPPORTED_STORE_URL: .*mysql:\/\/u:\*\*\*@localhost/);
    expect(badUrl.stderr).not.toContain('secret');

    const noStore = await cli(['streams', 'list']);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toMatch(/^reactive-domain: NO_STORE: /);

    const noConfig = await cli(['-c', 'missing.config.js', 'streams', 'list']);
    expect(noConfig.stderr).toMatch(/^reactive-domain: CONFIG_NOT_FOUND: /);

    const badNumber = await cli(['-c', CONFIG, 'streams', 'read', 'order-1', '--max', 'zero']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/--max must be an integer >= 1/);

    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
  });

  it('trace: the conversation as a causation tree, commands recorded by the middleware between the events', async () => {
    const run = await cli(['-c', CONFIG, 'trace', conversation(2)]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^▶ PlaceOrder \[command …00000002\] success \d\d:\d\d:\d\d\.\d{3} \+0ms$/);
    expect(lines[1]).toMatch(/^└─ ● OrderPlaced order-2@0 #\d+ /);
    expect(lines[2]).toMatch(/^ {3}└─ ▶ ReserveStock \[command …[0-9a-f]{8}\] success /);
    expect(lines[3]).toMatch(/^ {6}└─ ● StockReserved warehouse-main@1 #\d+ /);
    expect(run.stderr).toMatch(/4 stored message\(s\) of correlation/);

    const json = await cli(['-c', CONFIG, '--json', 'trace', conversation(1)]);
    const tree = JSON.parse(json.stdout) as {
      roots: Array<{
        type: string;
        kind: string;
        source: string;
        children: Array<{
          type: string;
          stream: string;
          children: Array<{ type: string; kind: string; causationId: string }>;
        }>;
      }>;
    };
    expect(tree.roots).toHaveLength(1);
    const [root] = tree.roots;
    expect(root).toMatchObject({ type: 'PlaceOrder', kind: 'command', source: 'recorded' });
    expect(root!.children[0]).toMatchObject({ type: 'OrderPlaced', stream: 'order-1' });
    expect(root!.children[0]!.children[0]).toMatchObject({ type: 'ReserveStock', kind: 'command' });

    const mermaid = await cli(['-c', CONFIG, 'trace', conversation(3), '--mermaid']);
    expect(mermaid.stdout).toMatch(/^flowchart TD\n/);
    expect(mermaid.stdout).toMatch(/n1\(\["PlaceOrder<br\/>command …00000003<br\/>success"\]\)/);
    expect(mermaid.stdout).toMatch(/n2\["OrderPlaced<br\/>order-3@0"\]/);
    expect(mermaid.stdout).toMatch(/n1 --> n2/);

    const none = await cli(['-c', CONFIG, 'trace', 'no-such-id']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^reactive-domain: CORRELATION_NOT_FOUND: No stored event has correlation id "no-such-id" \(12 events scanned\)/,
    );
  });

  it('tail: prints events as they come (here from the start), stops after --count; --type filters', async () => {
    const run = await cli([
      '-c',
      CONFIG,
      '--json',
      'tail',
      '--from',
      'start',
      '--count',
      '2',
      '--type',
      'Stock',
    ]);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; stream: string });
    expect(events).toEqual([
      expect.objectContaining({ type: 'StockReserved', stream: 'warehouse-main' }),
      expect.objectContaining({ type: 'StockReserved', stream: 'warehouse-main' }),
    ]);
    const both = await cli(['-c', CONFIG, 'tail', '--filter', 'order-', '--type', 'X']);
    expect(both.code).toBe(2);
  });

  it('checkpoints list and reset (reset needs --yes)', async () => {
    const list = await cli(['-c', CONFIG, 'checkpoints', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^orders +category order +position 5$/m);
    const refused = await cli(['-c', CONFIG, 'checkpoints', 'reset', 'orders']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/add --yes/);
    const reset = await cli(['-c', CONFIG, '--json', 'checkpoints', 'reset', 'orders', '--yes']);
    expect(JSON.parse(reset.stdout)).toEqual({ model: 'orders', deleted: 1 });
  });

  it('rebuild: plain progress lines when not on a TTY, then the total; unknown model is a typed error', async () => {
    const run = await cli(['-c', CONFIG, 'rebuild', 'orders', '--every', '100'], { CLI_TEST_ORDERS: '250' });
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^rebuild orders: 100\/250 events, \d+ ev\/s$/),
      expect.stringMatching(/^rebuild orders: 200\/250 events, \d+ ev\/s$/),
      expect.stringMatching(/^rebuild orders: 250\/250 events, \d+ ev\/s$/),
    ]);
    expect(run.stdout).toMatch(/^rebuilt orders: 250 events in \d+\.\d\d s$/m);
    const json = await cli(['-c', CONFIG, '--json', 'rebuild', 'orders']);
    expect(JSON.parse(json.stdout)).toMatchObject({ readModel: 'orders', handled: 3, total: 3 });
    const unknown = await cli(['-c', CONFIG, 'rebuild', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^reactive-domain: READ_MODEL_NOT_CONFIGURED: No read model "nope" in the config; it defines "orders"/,
    );
  });

  // A terminal is needed for the bar: util-linux `script` runs the CLI on a pseudo-terminal.
  const scriptPath = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path));
  (scriptPath ? it : it.skip)(
    'rebuild: a progress bar (events done/total, rate, ETA) on a terminal',
    async () => {
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} -c order-config.cjs rebuild orders --every 200`;
      const run = await new Promise<string>((done, fail) =>
        execFile(
          scriptPath!,
          ['-qec', command, '/dev/null'],
          { cwd: FIXTURES, env: { ...process.env, CLI_TEST_ORDERS: '2000' }, timeout: 60_000 },
          (error, stdout) => (error ? fail(error) : done(stdout)),
        ),
      );
      // Drop the terminal control sequences the bar redraws with.
      const text = run.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\x1b[78]/g, '');
      expect(text).toMatch(/rebuild orders \[=+\] 100% \| 2000\/2000 events \| \d+ ev\/s \| ETA \d+s/);
      expect(text).toMatch(/rebuilt orders: 2000 events in \d+\.\d\d s/);
    },
  );
  if (!scriptPath)
    console.log('[skip] rebuild progress bar test: util-linux `script` (a pseudo-terminal) is not installed');

  it('migrate on a store without a schema is a typed error', async () => {
    const run = await cli(['-c', CONFIG, 'migrate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reactive-domain: STORE_FEATURE_UNAVAILABLE: .*no schema to migrate/);
  });
});

describe('reactive-domain CLI against an EventStoreDB URL (wire test server)', () => {
  let server: EsdbTestServer;
  const backing = new InMemoryStreamStore();

  beforeAll(async () => {
    server = await startEsdbTestServer(backing, { protocol: '@eventstore/db-client' });
    const metadata = JSON.stringify({ $correlationId: 'corr-1', $causationId: 'corr-1' });
    await backing.appendToStream('account-1', 'no_stream', [
      {
        eventId: '11111111-1111-4111-8111-111111111111',
        type: 'AccountOpened',
        data: '{"owner":"ada"}',
        metadata,
      },
      { eventId: '22222222-2222-4222-8222-222222222222', type: 'Deposited', data: '{"amount":5}', metadata },
    ]);
  });
  afterAll(async () => {
    await server.close();
    await backing.close();
  });

  it('streams list, streams read and trace through esdb://', async () => {
    const list = await cli(['--store', server.connectionString, '--json', 'streams', 'list']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ stream: 'account-1', events: 2, lastRevision: 1 }),
    ]);
    const read = await cli(['--json', 'streams', 'read', 'account-1', '--backwards'], {
      REACTIVE_DOMAIN_STORE: server.connectionString,
    });
    expect((JSON.parse(read.stdout) as Array<{ type: string }>).map((e) => e.type)).toEqual([
      'Deposited',
      'AccountOpened',
    ]);
    // Without the command audit, the command is known only as the causation id of its events.
    const trace = await cli(['--store', server.connectionString, 'trace', 'corr-1']);
    expect(trace.stdout.trimEnd().split('\n')).toEqual([
      '▶ command [command corr-1] (not recorded: known from its events)',
      expect.stringMatching(/^├─ ● AccountOpened account-1@0 #\d+ /),
      expect.stringMatching(/^└─ ● Deposited account-1@1 #\d+ /),
    ]);
  });
});
