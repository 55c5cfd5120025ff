/**
 * The order service's customers for two tenants on one shared store, with authorization: each tenant sees only its
 * own customers, a refused command appends nothing, and the personal fields are ciphertext in the shared store.
 */
import {
  CorrelatedRepository,
  CrossTenantAccessError,
  Fail,
  InMemoryKeyStore,
  InMemoryStreamStore,
  TenantScope,
  UnauthorizedError,
  tenantOfMetadata,
  type Principal,
} from './reactive-domain';
import { ChangeCustomerEmail, GetCustomer, RegisterCustomer } from './customers';
import { CustomerId } from './ids';
import { TenantCustomerService } from './tenant-customers';

const clerk: Principal = { id: 'clerk-1', roles: ['clerk'] };
const EMAIL = 'tenant-canary-31@example.org';

async function waitFor(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('order service: tenants and authorization', () => {
  it('keeps tenants apart, enforces the policy, and appends nothing for a refused command', async () => {
    const shared = new InMemoryStreamStore();
    const service = new TenantCustomerService(shared, new InMemoryKeyStore());
    const acme = await service.openTenant('acme');
    const globex = await service.openTenant('globex');
    const ada = CustomerId.create();
    const bob = CustomerId.create();

    await service.as('acme', clerk, () => service.dispatcher.send(new RegisterCustomer(ada, EMAIL, 'Ada')));
    await service.as('globex', clerk, () =>
      service.dispatcher.send(new RegisterCustomer(bob, 'bob@globex.example', 'Bob')),
    );
    await waitFor(() => acme.get(ada) !== null && globex.get(bob) !== null);

    // Each tenant's query sees its own customers only.
    expect(await service.as('acme', clerk, () => service.queries.fetch(new GetCustomer(ada)))).toMatchObject({
      email: EMAIL,
    });
    expect(await service.as('globex', clerk, () => service.queries.fetch(new GetCustomer(ada)))).toBeNull();
    expect(globex.all().map((c) => c.customerId)).toEqual([bob]);

    // The same customer id registered in another tenant is another customer (another stream).
    await service.as('globex', clerk, () =>
      service.dispatcher.send(new RegisterCustomer(ada, 'other@globex.example', 'Other')),
    );
    await waitFor(() => globex.get(ada) !== null);
    expect(acme.get(ada)).toMatchObject({ email: EMAIL });

    // Another tenant's aggregate stream cannot be read, by name or otherwise.
    await expect(
      TenantScope.run('globex', () => service.store.readStream(`acme.customer-${ada}`)),
    ).rejects.toThrow(CrossTenantAccessError);

    // A customer may change their own e-mail, not someone else's; anonymous callers nothing.
    const adaHerself: Principal = { id: ada, roles: ['customer'] };
    await service.as('acme', adaHerself, () =>
      service.dispatcher.send(new ChangeCustomerEmail(ada, 'ada@new.example')),
    );
    const before = await shared.readStream(`acme.customer-${ada}`);
    const mallory: Principal = { id: CustomerId.create(), roles: ['customer'] };
    const refused = await service.as('acme', mallory, () =>
      service.dispatcher.trySend(new ChangeCustomerEmail(ada, 'mallory@evil.example')),
    );
    expect(refused.kind).toBe('fail');
    expect((refused as { error?: unknown }).error).toBeInstanceOf(UnauthorizedError);
    const anonymous = await TenantScope.run('acme', () =>
      service.dispatcher.trySend(new RegisterCustomer(CustomerId.create(), 'x@y.z', 'X')),
    );
    expect((anonymous as { error?: { code?: string } }).error?.code).toBe('UNAUTHORIZED');
    await expect(
      service.as('acme', adaHerself, () => service.queries.fetch(new GetCustomer(ada))),
    ).rejects.toThrow(UnauthorizedError);
    const after = await shared.readStream(`acme.customer-${ada}`);
    const eventIds = (read: typeof before) => (read.status === 'ok' ? read.events.map((e) => e.eventId) : []);
    expect(eventIds(before)).toHaveLength(2); // registered, e-mail changed
    expect(eventIds(after)).toEqual(eventIds(before));
    // No tenant at all: refused before anything runs.
    const noTenant = await service.dispatcher.trySend(
      new RegisterCustomer(CustomerId.create(), 'x@y.z', 'X'),
    );
    expect((noTenant as { error?: { code?: string } }).error?.code).toBe('TENANT_REQUIRED');

    // In the shared store: every event stamped with its tenant, personal fields only as ciphertext.
    const all = await shared.readAll();
    expect(all.events.length).toBeGreaterThan(0);
    for (const event of all.events.filter((e) => !e.type.startsWith('$'))) {
      expect(tenantOfMetadata(event.metadata)).toBe(event.streamName.split('.')[0]);
      expect(event.data).not.toContain(EMAIL);
    }
    await service.stop();
  });

  it('refuses a denied command through the real dispatcher: a typed Fail, no handler run, nothing appended', async () => {
    const shared = new InMemoryStreamStore();
    const service = new TenantCustomerService(shared, new InMemoryKeyStore());
    const ada = CustomerId.create();
    await service.as('acme', clerk, () => service.dispatcher.send(new RegisterCustomer(ada, EMAIL, 'Ada')));
    // Every customer handler starts by loading through the repository: no load means the handler never ran.
    const loads = [
      jest.spyOn(CorrelatedRepository.prototype, 'getById'),
      jest.spyOn(CorrelatedRepository.prototype, 'tryGetById'),
    ];
    try {
      const before = await shared.readAll();
      expect(before.events.length).toBeGreaterThan(0);
      const mallory: Principal = { id: CustomerId.create(), roles: ['customer'] };
      const refused = await service.as('acme', mallory, () =>
        service.dispatcher.trySend(new ChangeCustomerEmail(ada, 'mallory@evil.example')),
      );
      const notAClerk = await service.as('acme', mallory, () =>
        service.dispatcher.trySend(new RegisterCustomer(CustomerId.create(), 'x@y.z', 'X')),
      );
      for (const outcome of [refused, notAClerk]) {
        expect(outcome).toBeInstanceOf(Fail);
        const error = (outcome as Fail).error;
        expect(error).toBeInstanceOf(UnauthorizedError);
        expect((error as UnauthorizedError).code).toBe('UNAUTHORIZED');
      }
      for (const load of loads) expect(load).not.toHaveBeenCalled();
      const after = await shared.readAll();
      expect(after.events.map((e) => e.eventId)).toEqual(before.events.map((e) => e.eventId));
    } finally {
      for (const load of loads) load.mockRestore();
      await service.stop();
    }
  });
});
