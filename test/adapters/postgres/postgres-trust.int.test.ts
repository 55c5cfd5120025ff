/**
 * Trust features on PostgreSQL: the key store passes the key store contract; two tenants writing concurrently into
 * one PostgreSQL store never see each other's events; personal fields are ciphertext in the events table and read as
 * Redacted once forgotten.
 */
import { PostgresKeyStore, PostgresStreamStore } from '../../../src/adapters/postgres';
import { Event } from '../../../src/core/message';
import { EventTypeRegistry } from '../../../src/core/event-type-registry';
import { REDACTED, type Redacted } from '../../../src/core/redacted';
import {
  CrossTenantAccessError,
  TenantScope,
  tenantIsolated,
  tenantOfMetadata,
} from '../../../src/foundation/tenancy';
import {
  EventSerializer,
  ExpectedVersion,
  encryptPersonalData,
  type RecordedEvent,
} from '../../../src/persistence';
import { keyStoreContract } from '../../../src/testing/contracts';
import { describeWithServer, serverUrl } from '../../support/servers';
import { freshSchema, testPool, until } from './pg-test-support';

const CANARY = 'pg-canary-4411@example.org';

class MemberJoined extends Event {
  constructor(
    readonly memberId: string,
    readonly email: string | Redacted,
    readonly n: number,
  ) {
    super();
  }
}
const registry = new EventTypeRegistry().register(MemberJoined, 'MemberJoined', {
  personal: { subject: 'memberId', fields: ['email'] },
});
const serializer = new EventSerializer({ registry });

describeWithServer('postgres', 'PostgreSQL trust', () => {
  let schema = '';
  let drop: () => Promise<void> = () => Promise.resolve();
  const keyStores: PostgresKeyStore[] = [];
  beforeAll(async () => {
    ({ schema, drop } = await freshSchema());
  });
  afterAll(async () => {
    for (const ks of keyStores) await ks.close();
    await drop();
  });
  const newKeyStore = (): PostgresKeyStore => {
    const ks = new PostgresKeyStore({ connectionString: serverUrl('postgres'), schema });
    keyStores.push(ks);
    return ks;
  };

  keyStoreContract('PostgresKeyStore', { create: () => newKeyStore() });

  it('two tenants writing concurrently never see each other, and personal fields are ciphertext in the table', async () => {
    const pg = new PostgresStreamStore({
      connectionString: serverUrl('postgres'),
      schema,
      horizonWaitMs: 15_000,
    });
    const keys = newKeyStore();
    const encrypted = encryptPersonalData(pg, { registry, keyStore: keys });
    const store = tenantIsolated(encrypted);
    const tenants = ['acme', 'globex'];
    const perTenant = 40;

    // Live subscriptions per tenant, opened before the writes.
    const seen = new Map<string, RecordedEvent[]>(tenants.map((t) => [t, []]));
    const subscriptions = tenants.map((tenant) =>
      TenantScope.run(tenant, () =>
        store.subscribeToAll({ after: 'start' }, { onEvent: (e) => void seen.get(tenant)!.push(e) }),
      ),
    );

    try {
      await Promise.all(
        tenants.map((tenant) =>
          TenantScope.run(tenant, async () => {
            await Promise.all(
              Array.from({ length: perTenant }, (_, i) =>
                store.appendToStream(`${tenant}.member-m${i % 5}`, ExpectedVersion.Any, [
                  serializer.serialize(new MemberJoined(`${tenant}-m${i % 5}`, `${tenant}-${CANARY}`, i)),
                ]),
              ),
            );
          }),
        ),
      );

      await until(
        () => tenants.every((t) => seen.get(t)!.length === perTenant),
        'each tenant subscription sees its events',
      );
      for (const tenant of tenants) {
        const own = seen.get(tenant)!;
        expect(
          own.every((e) => e.streamName.startsWith(`${tenant}.`) && tenantOfMetadata(e.metadata) === tenant),
        ).toBe(true);
        const all = await TenantScope.run(tenant, async () => {
          const out: RecordedEvent[] = [];
          let after: bigint | 'start' = 'start';
          for (;;) {
            const slice = await store.readAll({ after, maxCount: 7 });
            out.push(...slice.events);
            if (slice.isEnd || slice.events.length === 0) return out;
            after = slice.events.at(-1)!.position;
          }
        });
        expect(all).toHaveLength(perTenant);
        expect(all.every((e) => e.streamName.startsWith(`${tenant}.`))).toBe(true);
        expect(new Set(all.map((e) => serializer.deserialize<MemberJoined>(e).event.email))).toEqual(
          new Set([`${tenant}-${CANARY}`]),
        );
      }
      await expect(TenantScope.run('globex', () => store.readStream('acme.member-m1'))).rejects.toThrow(
        CrossTenantAccessError,
      );

      // In the table: ciphertext only, and the tenant stamp.
      const pool = testPool(1);
      try {
        const { rows } = await pool.query<{ data: string; metadata: string }>(
          `SELECT data::text AS data, metadata::text AS metadata FROM "${schema}".events`,
        );
        expect(rows).toHaveLength(tenants.length * perTenant);
        expect(rows.map((r) => r.data).join('\n')).not.toContain(CANARY);
        expect(rows.every((r) => /"tenant": ?"(acme|globex)"/.test(r.metadata))).toBe(true);
        const { rows: keyRows } = await pool.query(
          `SELECT count(*)::int AS n FROM "${schema}".subject_keys WHERE subject LIKE 'acme-%' OR subject LIKE 'globex-%'`,
        );
        expect(keyRows[0].n).toBe(10);
      } finally {
        await pool.end();
      }

      // Forget one member: its events read as Redacted, from any process (a second key store on the same tables).
      await keys.forget('acme-m1');
      const other = encryptPersonalData(pg, { registry, keyStore: newKeyStore() });
      const read = await other.readStream('acme.member-m1');
      expect(read.status).toBe('ok');
      const events =
        read.status === 'ok' ? read.events.map((e) => serializer.deserialize<MemberJoined>(e).event) : [];
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.email === REDACTED)).toBe(true);
      const kept = await other.readStream('acme.member-m2');
      expect(kept.status === 'ok' && serializer.deserialize<MemberJoined>(kept.events[0]!).event.email).toBe(
        `acme-${CANARY}`,
      );
    } finally {
      for (const s of subscriptions) await s.close();
      await pg.close();
    }
  });
});
