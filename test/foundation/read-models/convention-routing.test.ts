import { UnmatchedConventionMethodError } from '../../../src/core';
import { ListenerSources, ReadModelBase, type ReadModelOptions } from '../../../src/foundation';
import { AccountOpened, Deposited, append, newStore, serializer } from '../subscriptions/fixtures';

/**
 * Read models and aggregates share the convention-method check (core's ClassRoutes). A read model may take its
 * registry from its serializer (no `static eventTypes`): the check must then use that registry, not the
 * process-wide one it never routes with.
 */
describe('read models and the convention-method check', () => {
  it('a model without static eventTypes routes with its serializer registry (not refused by the default one)', async () => {
    const store = newStore();
    class Totals extends ReadModelBase {
      total = 0;
      constructor(options: ReadModelOptions) {
        super('totals', options);
      }
      protected applyDeposited(e: Deposited): void {
        this.total += e.amount;
      }
    }
    const model = new Totals({ store, serializer });
    await append(store, 'account-1', new AccountOpened('account-1'), new Deposited('account-1', 5));
    await model.start(ListenerSources.stream('account-1'));
    await model.whenLive();
    expect(model.total).toBe(5);
    await model.stop();
    await store.close();
  });

  it('a model whose apply method matches nothing in its registry fails loudly, naming class and method', async () => {
    const store = newStore();
    class Misspelled extends ReadModelBase {
      constructor(options: ReadModelOptions) {
        super('misspelled', options);
      }
      protected applyDeposit(): void {}
    }
    await append(store, 'account-1', new Deposited('account-1', 5));
    let error: unknown;
    try {
      const model = new Misspelled({ store, serializer });
      await model.start(ListenerSources.stream('account-1'));
      await model.whenLive();
      error = model.failure;
    } catch (caught) {
      error = caught;
    }
    const text = String(error) + String((error as { cause?: unknown })?.cause);
    expect(text).toContain('Misspelled.applyDeposit() matches no event type');
    const root = (error as { cause?: unknown })?.cause ?? error;
    expect(
      root instanceof UnmatchedConventionMethodError || error instanceof UnmatchedConventionMethodError,
    ).toBe(true);
    await store.close();
  });
});
