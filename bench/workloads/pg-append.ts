/**
 * Workload pg-append — appends to PostgreSQL: 1,000 streams × 10 single-event appends (each with its expected
 * version), at concurrency 1 and 8, into a scratch database on the local server (fsync as the server has it).
 * Contenders: our PostgresStreamStore, Emmett's PostgreSQL event store, and a raw `pg` floor (one INSERT statement per
 * append, autocommit: the least a durable append can cost). Reports events/s and per-append p50/p99 latency.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { STREAM_DOES_NOT_EXIST, type ExpectedStreamVersion } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { PostgresStreamStore, migrate } from '../../dist/adapters/postgres';
import { assert, emit, percentile, runCase, scaled, type CaseResult, type Contender } from '../lib/harness';
import { scratchDatabase, serverSettings } from '../lib/postgres';

const STREAMS = scaled(1_000, 100);
const APPENDS = 10;
const UNITS = STREAMS * APPENDS;
const POOL_SIZE = 10;

/** What one append stores: a small deposit event, as JSON. */
const payload = (stream: number, n: number) => ({ accountId: `acc-${stream}`, amount: n + 1 });

/** Runs `work(stream)` for every stream with `concurrency` workers; records each append's latency (µs). */
function makeRunner(concurrency: number) {
  const latencies = new Float64Array(UNITS);
  let count = 0;
  const timed = async (append: () => Promise<unknown>): Promise<void> => {
    const started = process.hrtime.bigint();
    await append();
    latencies[count++] = Number(process.hrtime.bigint() - started) / 1000;
  };
  const run = async (work: (stream: number, timed: (append: () => Promise<unknown>) => Promise<void>) => Promise<void>) => {
    count = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < STREAMS) await work(next++, timed);
      }),
    );
  };
  const extra = () => ({
    p50LatencyUs: Math.round(percentile(latencies, 50, count)),
    p99LatencyUs: Math.round(percentile(latencies, 99, count)),
  });
  return { run, extra, appended: () => count };
}

async function main(): Promise<void> {
  const db = await scratchDatabase();
  try {
    const settings = await serverSettings(db.url);
    await migrate({ connectionString: db.url });
    const ours = new PostgresStreamStore({ connectionString: db.url, poolConfig: { max: POOL_SIZE } });
    const emmett: PostgresEventStore = getPostgreSQLEventStore(db.url);
    const floorPool = new Pool({ connectionString: db.url, max: POOL_SIZE });
    floorPool.on('error', () => undefined);
    await floorPool.query(
      'CREATE TABLE floor_events (position bigserial PRIMARY KEY, stream_name text NOT NULL, revision bigint NOT NULL, ' +
        'event_id uuid NOT NULL, type text NOT NULL, data text NOT NULL, metadata text NOT NULL, ' +
        'created timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_name, revision))',
    );
    // Warm Emmett's schema creation outside the timings.
    await emmett.appendToStream(`warm-${randomUUID()}`, [{ type: 'Deposited', data: payload(0, 0) }]);

    const cases: CaseResult[] = [];
    for (const concurrency of [1, 8]) {
      const runners = { ours: makeRunner(concurrency), emmett: makeRunner(concurrency), floor: makeRunner(concurrency) };
      let batch = '';
      const fresh = () => void (batch = randomUUID().slice(0, 8));
      const contenders: Contender[] = [
        {
          name: 'reactive-domain PostgresStreamStore',
          role: 'us',
          note: 'appendToStream(stream, expected revision, [event]): one round trip (a PL/pgSQL function: stream row lock, version check, insert), then a coalesced NOTIFY',
          beforeEach: fresh,
          fn: async () =>
            runners.ours.run(async (s, timed) => {
              const stream = `account-${batch}-${s}`;
              for (let n = 0; n < APPENDS; n++) {
                await timed(() =>
                  ours.appendToStream(stream, n === 0 ? 'no_stream' : n - 1, [
                    { eventId: randomUUID(), type: 'Deposited', data: JSON.stringify(payload(s, n)), metadata: '{}' },
                  ]),
                );
              }
            }),
          check: () => assert(runners.ours.appended() === UNITS, `ours appended ${runners.ours.appended()}`),
          extra: runners.ours.extra,
        },
        {
          name: 'Emmett PostgreSQL event store',
          role: 'peer',
          note: 'getPostgreSQLEventStore(url).appendToStream(stream, [event], { expectedStreamVersion })',
          beforeEach: fresh,
          fn: async () =>
            runners.emmett.run(async (s, timed) => {
              const stream = `account-${batch}-${s}`;
              let expected: ExpectedStreamVersion = STREAM_DOES_NOT_EXIST;
              for (let n = 0; n < APPENDS; n++) {
                await timed(async () => {
                  const result = await emmett.appendToStream(stream, [{ type: 'Deposited', data: payload(s, n) }], {
                    expectedStreamVersion: expected,
                  });
                  expected = result.nextExpectedStreamVersion;
                });
              }
            }),
          check: () => assert(runners.emmett.appended() === UNITS, `emmett appended ${runners.emmett.appended()}`),
          extra: runners.emmett.extra,
        },
        {
          name: 'floor: raw pg INSERT per append',
          role: 'floor',
          note: 'pool.query(INSERT one row) autocommit: no version check, no stream table, no notification',
          beforeEach: fresh,
          fn: async () =>
            runners.floor.run(async (s, timed) => {
              const stream = `account-${batch}-${s}`;
              for (let n = 0; n < APPENDS; n++) {
                await timed(() =>
                  floorPool.query({
                    name: 'floor-insert',
                    text: 'INSERT INTO floor_events (stream_name, revision, event_id, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)',
                    values: [stream, n, randomUUID(), 'Deposited', JSON.stringify(payload(s, n)), '{}'],
                  }),
                );
              }
            }),
          check: () => assert(runners.floor.appended() === UNITS, `floor appended ${runners.floor.appended()}`),
          extra: runners.floor.extra,
        },
      ];
      cases.push(
        await runCase({
          id: `pg-append-c${concurrency}`,
          title: `PostgreSQL append: ${STREAMS.toLocaleString('en')} streams × ${APPENDS} single-event appends, concurrency ${concurrency}`,
          unit: 'events',
          units: UNITS,
          contenders,
          comparisons: [
            { us: 'reactive-domain PostgresStreamStore', peers: ['Emmett PostgreSQL event store'], floor: 'floor: raw pg INSERT per append' },
          ],
          iterations: 3,
          rounds: 3,
          timeMs: 0,
          warmupIterations: 1,
          notes: [
            `Server: ${settings}. Pools of ${POOL_SIZE} connections each. Issue target for this workload: ≥ 1.2x Emmett and ≥ 0.7x the floor.`,
          ],
        }),
      );
    }
    await ours.close();
    await emmett.close();
    await floorPool.end();
    emit('pg-append', cases);
  } catch (error) {
    console.error(error);
    process.exit(1);
  } finally {
    // Connections of pools that were not ended (after a failure) are terminated by the drop: ignore their errors.
    process.on('uncaughtException', () => undefined);
    await db.drop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
