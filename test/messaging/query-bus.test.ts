import { Query } from '../../src/core/message';
import { ExistingHandlerError, QueryBus, QueryNotHandledError } from '../../src/messaging';
import { trackUnhandledRejections } from './fixtures';

trackUnhandledRejections();

class GetBalance extends Query<number> {
  constructor(readonly accountId: string) {
    super();
  }
}
class GetOwner extends Query<{ name: string }> {}
class GetSpecialBalance extends GetBalance {}

describe('QueryBus', () => {
  it('fetch resolves to the handler result, typed by the query', async () => {
    const queries = new QueryBus();
    queries.register(GetBalance, (q) => (q.accountId === 'a' ? 42 : 0));
    queries.register(GetOwner, async () => ({ name: 'Ada' }));
    const balance: number = await queries.fetch(new GetBalance('a'));
    const owner: { name: string } = await queries.fetch(new GetOwner());
    expect(balance).toBe(42);
    expect(owner).toEqual({ name: 'Ada' });
  });

  it('no handler -> QueryNotHandledError naming the query', async () => {
    const queries = new QueryBus();
    const query = new GetOwner();
    await expect(queries.fetch(query)).rejects.toBeInstanceOf(QueryNotHandledError);
    await expect(queries.fetch(query)).rejects.toMatchObject({ code: 'QUERY_NOT_HANDLED', query });
    await expect(queries.fetch(query)).rejects.toThrow(/GetOwner/);
  });

  it('one handler per query type, matched by exact type', async () => {
    const queries = new QueryBus();
    queries.register(GetBalance, () => 1);
    expect(() => queries.register(GetBalance, () => 2)).toThrow(ExistingHandlerError);
    await expect(queries.fetch(new GetSpecialBalance('x'))).rejects.toBeInstanceOf(QueryNotHandledError);
    expect(queries.hasHandler(GetBalance)).toBe(true);
    expect(queries.hasHandler(GetSpecialBalance)).toBe(false);
  });

  it('a handler error rejects fetch with that error', async () => {
    const queries = new QueryBus();
    const boom = new Error('read model offline');
    queries.register(GetBalance, async () => {
      throw boom;
    });
    await expect(queries.fetch(new GetBalance('a'))).rejects.toBe(boom);
  });

  it('passes the caller signal to the handler; a pre-aborted signal never reaches the handler', async () => {
    const queries = new QueryBus();
    const seen: AbortSignal[] = [];
    queries.register(GetBalance, (_q, { signal }) => {
      seen.push(signal);
      return 1;
    });
    const controller = new AbortController();
    await queries.fetch(new GetBalance('a'), { signal: controller.signal });
    await queries.fetch(new GetBalance('a'));
    expect(seen[0]).toBe(controller.signal);
    expect(seen[1]?.aborted).toBe(false);
    await expect(queries.fetch(new GetBalance('a'), { signal: AbortSignal.abort('gone') })).rejects.toBe(
      'gone',
    );
    expect(seen).toHaveLength(2);
  });

  it('the registration handle unregisters the handler', async () => {
    const queries = new QueryBus();
    const handle = queries.register(GetBalance, () => 1);
    handle.unsubscribe();
    expect(handle.closed).toBe(true);
    await expect(queries.fetch(new GetBalance('a'))).rejects.toBeInstanceOf(QueryNotHandledError);
  });
});
