/**
 * Failures on the real server: killed connections (the LISTEN connection mid-stream, the backend mid-append),
 * statement timeouts, refused connections, refused credentials, pool exhaustion. Each is a typed error and nothing
 * is half-written or lost.
 */
import type { Pool } from 'pg';
import { newId } from '../../../src/core/id';
import {
  PostgresAccessDeniedError,
  PostgresStreamStore,
  PostgresUnavailableError,
  type PostgresStoreWarning,
} from '../../../src/adapters/postgres';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import type { EventData, StoreSubscription } from '../../../src/persistence/stream-store';
import { StoreUnavailableError } from '../../../src/persistence/stream-store.errors';
import { describeWithServer, serverUrl } from '../../support/servers';
import { freshSchema, testPool, until } from './pg-test-support';

const anEvent = (n: number, size = 0): EventData => ({
  eventId: newId(),
  type: 'FailureEvent',
  data: JSON.stringify({ n, pad: 'x'.repeat(size) }),
  metadata: '{}',
});

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

describeWithServer('postgres', 'PostgresStreamStore: failures on the real server', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let admin: Pool;
  let prefix: string;
  const closeLater: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
    admin = testPool(3);
    // A trigger that sleeps when an event's data asks for it: a deterministic "append in progress" to kill.
    await admin.query(`
      CREATE FUNCTION "${schema}".slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type = 'SlowEvent' THEN PERFORM pg_sleep(30); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER slow_insert BEFORE INSERT ON "${schema}".events
        FOR EACH ROW EXECUTE FUNCTION "${schema}".slow_insert();`);
  });
  afterAll(async () => {
    for (const item of closeLater.reverse()) await item.close().catch(() => undefined);
    await admin.end();
    await drop();
  });
  beforeEach(() => {
    prefix = `fail${newId().replace(/-/g, '').slice(-12)}`;
  });

  function store(
    options: Partial<ConstructorParameters<typeof PostgresStreamStore>[0]> = {},
  ): PostgresStreamStore {
    const created = new PostgresStreamStore({ connectionString: serverUrl('postgres'), schema, ...options });
    closeLater.push(created);
    return created;
  }

  /** Backend pids whose application_name is `name`. */
  async function pidsOf(name: string, state?: string): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 ${state ? 'AND state = $2' : ''}`,
      state ? [name, state] : [name],
    );
    return rows.map((row) => row.pid);
  }

  it('pg_terminate_backend of the LISTEN connection mid-stream: it reconnects, nothing is lost or delivered twice', async () => {
    const warnings: PostgresStoreWarning[] = [];
    // Polling is far off, so only notifications can wake the subscriber in time.
    const reader = store({ pollIntervalMs: 120_000, onWarning: (w) => void warnings.push(w) });
    const writer = store({ notifications: true });
    const delivered: number[] = [];
    const subscription: StoreSubscription = reader.subscribeToAll(
      { after: 'end', filter: { on: 'streamName', prefixes: [`${prefix}-`] } },
      { onEvent: (event) => void delivered.push((JSON.parse(event.data) as { n: number }).n) },
    );
    closeLater.push(subscription);
    const listenerName = `reactive-domain listener ${schema}`;
    await until(async () => (await pidsOf(listenerName)).length === 1, 'the LISTEN connection');
    const [firstPid] = await pidsOf(listenerName);
    await until(() => subscription.isLive, 'the subscription to be live');

    // Appends from another store (another process, as far as the reader knows) keep coming while the
    // LISTEN connection is killed.
    const total = 60;
    const appending = (async () => {
      for (let n = 0; n < total; n++) {
        await writer.appendToStream(`${prefix}-s`, ExpectedVersion.Any, [anEvent(n)]);
        if (n % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await until(() => delivered.length >= 10, 'the first events');
    await admin.query('SELECT pg_terminate_backend($1)', [firstPid]);
    await appending;
    await until(() => delivered.length >= total, `${total} events (have ${delivered.length})`);
    expect(delivered).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(warnings.some((w) => w.kind === 'listener_lost')).toBe(true);
    const pids = await pidsOf(listenerName);
    expect(pids).toHaveLength(1);
    expect(pids[0]).not.toBe(firstPid);
    // And it still wakes the reader: one more event from the other store arrives without polling.
    await writer.appendToStream(`${prefix}-s`, ExpectedVersion.Any, [anEvent(total)]);
    await until(() => delivered.length === total + 1, 'an event after the reconnect');
    expect(delivered[total]).toBe(total);
  });

  it('killing the backend mid-append (rows already inserted): typed error, nothing written; the store recovers', async () => {
    const appName = `rd-kill-${prefix}`;
    const writer = store({ poolConfig: { application_name: appName } });
    const events = [
      ...Array.from({ length: 200 }, (_, n) => anEvent(n, 200)),
      { ...anEvent(999), type: 'SlowEvent' },
    ];
    // A store's first write also runs a one-off check of stored positions; do it first, so the backend killed
    // below is the one running the append (and not that check).
    await writer.appendToStream(`${prefix}-warm-up`, ExpectedVersion.NoStream, [anEvent(0)]);
    const append = rejectionOf(writer.appendToStream(`${prefix}-big`, ExpectedVersion.NoStream, events));
    // The append has inserted 200 rows and sleeps in the trigger on the last one.
    await until(async () => (await pidsOf(appName, 'active')).length === 1, 'the append in progress');
    const [pid] = await pidsOf(appName, 'active');
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await append;
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'connection_lost' });
    expect((error as Error).message).toContain(`append to stream "${prefix}-big"`);
    // All or nothing: not one of the 200 inserted rows survived.
    expect(await writer.readStream(`${prefix}-big`)).toEqual({
      status: 'not_found',
      streamName: `${prefix}-big`,
    });
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".events WHERE stream_name = $1`,
      [`${prefix}-big`],
    );
    expect(rows[0].n).toBe(0);
    // The broken connection was discarded: the same store appends again.
    const retried = await writer.appendToStream(
      `${prefix}-big`,
      ExpectedVersion.NoStream,
      events.slice(0, 200),
    );
    expect(retried.nextExpectedVersion).toBe(199);
  });

  it('a statement timeout is a typed error and writes nothing', async () => {
    const writer = store({ statementTimeoutMs: 300 });
    const error = await rejectionOf(
      writer.appendToStream(`${prefix}-slow`, ExpectedVersion.Any, [
        anEvent(1),
        { ...anEvent(2), type: 'SlowEvent' },
      ]),
    );
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(error).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'statement_timeout',
      outcomeUnknown: false,
    });
    expect((await writer.readStream(`${prefix}-slow`)).status).toBe('not_found');
  });

  it('a client-side query deadline discards the connection and says the outcome is unknown', async () => {
    const pool = testPool(2);
    closeLater.push({ close: () => pool.end() });
    const writer = store({ pool, queryTimeoutMs: 300 });
    const error = await rejectionOf(
      writer.appendToStream(`${prefix}-deadline`, ExpectedVersion.Any, [
        { ...anEvent(1), type: 'SlowEvent' },
      ]),
    );
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'query_timeout', outcomeUnknown: true });
    expect((error as Error).message).toMatch(/may or may not have committed/);
    // Cancel the still-running statement so the assertion below does not depend on pg_sleep finishing.
    await admin.query(
      "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%append_to_stream%' AND state = 'active' AND pid <> pg_backend_pid()",
    );
    await until(
      async () => (await writer.readStream(`${prefix}-deadline`)).status === 'not_found',
      'no write',
    );
  });

  it('connection refused is a typed error, quickly', async () => {
    const unreachable = store({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      connectTimeoutMs: 2_000,
    });
    const error = await rejectionOf(unreachable.readAll({ maxCount: 1 }));
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'connection_refused' });
  });

  it('refused credentials are a typed, non-retryable error', async () => {
    const url = new URL(serverUrl('postgres'));
    url.username = 'rd_no_such_role';
    const denied = store({ connectionString: url.toString() });
    const error = await rejectionOf(denied.appendToStream(`${prefix}-x`, ExpectedVersion.Any, [anEvent(1)]));
    expect(error).toBeInstanceOf(PostgresAccessDeniedError);
    expect(error).toMatchObject({ code: 'STORE_ACCESS_DENIED' });
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
  });

  it('pool exhaustion is a typed error after the acquire deadline; nothing is sent', async () => {
    const pool = testPool(1);
    closeLater.push({ close: () => pool.end() });
    const writer = store({ pool, acquireTimeoutMs: 300 });
    await writer.readAll({ maxCount: 1 }); // schema check done while the pool is free
    const held = await pool.connect();
    try {
      const error = await rejectionOf(
        writer.appendToStream(`${prefix}-p`, ExpectedVersion.Any, [anEvent(1)]),
      );
      expect(error).toBeInstanceOf(PostgresUnavailableError);
      expect(error).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        reason: 'pool_exhausted',
        outcomeUnknown: false,
      });
    } finally {
      held.release();
    }
    expect(
      (await writer.appendToStream(`${prefix}-p`, ExpectedVersion.Any, [anEvent(1)])).nextExpectedVersion,
    ).toBe(0);
  });
});
