import { Query } from '../../src/core/message';
import { ListenerSources } from '../../src/foundation/subscriptions/listener-source';
import { SpecificationFailedError, diffValues, readModelSpec, type TestEnvironment } from '../../src/testing';
import { Account, AccountId, AccountOpened, Balances, Deposited, registry } from './fixtures';

class AccountSummary {
  constructor(
    readonly accountId: string,
    readonly balance: number,
    readonly tags: string[],
  ) {}
}
class GetSummary extends Query<AccountSummary> {
  constructor(readonly accountId: string) {
    super();
  }
}

const sources = [ListenerSources.category('account')];
const create = (env: TestEnvironment) => new Balances({ store: env.store, serializer: env.serializer });
const queries = (model: Balances, env: TestEnvironment) =>
  void env.queries.register(
    GetSummary,
    (q) => new AccountSummary(q.accountId, model.get(q.accountId as AccountId) ?? 0, ['vip']),
  );

describe('readModelSpec.thenQuery compares data as toEqual does', () => {
  const id = AccountId.create();

  it('accepts a structuredClone of an equal result (the class is not compared)', async () => {
    const expected = structuredClone(new AccountSummary(id, 4, ['vip']));
    expect(expected).not.toBeInstanceOf(AccountSummary);
    await readModelSpec(create, { registry, sources, queries })
      .given(Account, id, new AccountOpened(id, 'ada'), new Deposited(id, 4))
      .thenQuery(new GetSummary(id), expected);
  });

  it('reports a per-field diff when the clone differs', async () => {
    const error = await readModelSpec(create, { registry, sources, queries })
      .given(Account, id, new AccountOpened(id, 'ada'), new Deposited(id, 4))
      .thenQuery(new GetSummary(id), structuredClone(new AccountSummary(id, 5, ['vip', 'new'])))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecificationFailedError);
    const message = (error as Error).message;
    expect(message).toContain('.balance: expected 5, got 4');
    expect(message).toContain('.tags: expected 2 element(s), got 1');
  });

  it('classes still matter where they should: events (the default) and kinds (array vs object)', () => {
    expect(diffValues({ a: 1 }, new AccountSummary('x', 1, []))).toHaveLength(1);
    expect(diffValues([1], { 0: 1 }, { classes: 'ignore' })).toHaveLength(1);
    expect(diffValues({ a: 1, b: undefined }, { a: 1 }, { classes: 'ignore' })).toEqual([]);
  });
});
