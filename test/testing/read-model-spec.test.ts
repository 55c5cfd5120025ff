import { ListenerSources } from '../../src/foundation/subscriptions/listener-source';
import {
  SpecificationFailedError,
  SpecificationUsageError,
  readModelSpec,
  type TestEnvironment,
} from '../../src/testing';
import {
  Account,
  AccountId,
  AccountOpened,
  Balances,
  Deposited,
  GetBalance,
  Withdrawn,
  registry,
} from './fixtures';

const sources = [ListenerSources.category('account')];
const create = (env: TestEnvironment) => new Balances({ store: env.store, serializer: env.serializer });

describe('readModelSpec', () => {
  const id = AccountId.create();
  const other = AccountId.create();

  it('catches up on given events and receives when events live', async () => {
    const model = await readModelSpec(create, { registry, sources })
      .given(Account, id, new AccountOpened(id, 'ada'), new Deposited(id, 10))
      .given(Account, other, new AccountOpened(other, 'bob'))
      .when(Account, id, new Withdrawn(id, 3))
      .then((m) => {
        expect(m.get(id)).toBe(7);
        expect(m.get(other)).toBe(0);
      });
    expect(model.status).toBe('stopped');
  });

  it('thenState compares with a diff', async () => {
    await readModelSpec(create, { registry, sources })
      .given(Account, id, new AccountOpened(id, 'ada'), new Deposited(id, 10))
      .thenState((m) => Object.fromEntries(m.balances), { [id]: 10 });
    const error = await readModelSpec(create, { registry, sources })
      .given(Account, id, new AccountOpened(id, 'ada'), new Deposited(id, 10))
      .thenState((m) => m.get(id), 11)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecificationFailedError);
    expect((error as Error).message).toBe(
      'readModelSpec(balances): the state differs from the expected one\nExpected: 11\nActual:   10\nDifferences:\n  value: expected 11, got 10',
    );
  });

  it('thenQuery fetches through the query bus', async () => {
    await readModelSpec(create, {
      registry,
      sources,
      queries: (m, env) => Balances.registerQueries(m, env.queries),
    })
      .given(Account, id, new AccountOpened(id, 'ada'))
      .when(Account, id, new Deposited(id, 4))
      .thenQuery(new GetBalance(id), 4);
    const error = await readModelSpec(create, {
      registry,
      sources,
      queries: (m, env) => Balances.registerQueries(m, env.queries),
    })
      .given(Account, id, new AccountOpened(id, 'ada'))
      .thenQuery(new GetBalance(id), 4)
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      `readModelSpec(balances): query GetBalance { accountId: "${id}" } returned an unexpected result`,
    );
    await expect(
      readModelSpec(create, { registry, sources }).thenQuery(new GetBalance(id), 0),
    ).rejects.toThrow(/needs options.queries/);
  });

  it('reports a model that fails on an event, and thenFails expects it', async () => {
    const error = await readModelSpec(create, { registry, sources })
      .given(Account, id, new AccountOpened(id, 'ada'), new Withdrawn(id, -1))
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecificationFailedError);
    expect((error as Error).message).toMatch(
      /^readModelSpec\(balances\): the model failed while handling the events: .*negative withdrawal/,
    );
    const failure = await readModelSpec(create, { registry, sources })
      .given(Account, id, new AccountOpened(id, 'ada'))
      .when(Account, id, new Withdrawn(id, -1))
      .thenFails(RangeError);
    expect(failure.message).toContain('"Withdrawn"');
    const notFailing = await readModelSpec(create, { registry, sources })
      .given(Account, id, new AccountOpened(id, 'ada'))
      .thenFails()
      .catch((e: unknown) => e);
    expect((notFailing as Error).message).toBe(
      'readModelSpec(balances): expected the model to fail, but it is live',
    );
  });

  it('needs sources', () => {
    expect(() => readModelSpec(create, { registry, sources: [] })).toThrow(SpecificationUsageError);
  });
});

describe('readModelSpec usage', () => {
  it('awaiting a specification without an outcome is reported', async () => {
    const spec = readModelSpec(
      (env: TestEnvironment) => new Balances({ store: env.store, serializer: env.serializer }),
      {
        registry,
        sources: [ListenerSources.category('account')],
      },
    );
    await expect((async () => await (spec as unknown as Promise<unknown>))()).rejects.toThrow(
      /awaited without an outcome/,
    );
  });
});
