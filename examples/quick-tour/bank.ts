// The five-minute tour of the README, as code that runs (`npx tsx examples/quick-tour/main.ts`) and is tested
// (`quick-tour.test.ts`). In your project, import from 'reactive-domain' instead of '../../src'.
import {
  AggregateRoot,
  Command,
  CorrelatedRepository,
  Event,
  EventSerializer,
  EventTypeRegistry,
  InMemoryStreamStore,
  ListenerSources,
  ReadModelBase,
  StreamStoreRepository,
  CommandDispatcher,
  defineId,
  type Id,
  type ReadModelOptions,
} from '../../src';

// 1. Typed ids, commands and events. Event classes are registered under stable names (never constructor.name).
export const AccountId = defineId('AccountId');
export type AccountId = Id<'AccountId'>;

export class OpenAccount extends Command {
  constructor(
    readonly accountId: AccountId,
    readonly owner: string,
  ) {
    super();
  }
}
export class DepositMoney extends Command {
  constructor(
    readonly accountId: AccountId,
    readonly amount: number,
  ) {
    super();
  }
}
export class AccountOpened extends Event {
  constructor(
    readonly accountId: AccountId,
    readonly owner: string,
    readonly openedAt: Date,
  ) {
    super();
  }
}
export class MoneyDeposited extends Event {
  constructor(
    readonly accountId: AccountId,
    readonly amount: number,
  ) {
    super();
  }
}

export const registry = new EventTypeRegistry()
  .register(AccountOpened, 'AccountOpened', { fields: { openedAt: Date } })
  .register(MoneyDeposited, 'MoneyDeposited');

// 2. An aggregate: decisions in methods, state changes only in apply<EventName> methods.
export class Account extends AggregateRoot<AccountId> {
  static readonly typeName = 'Account';
  static override eventTypes = registry;
  balance = 0;

  static open(command: OpenAccount): Account {
    const account = new Account(command.accountId, command);
    account.raise(new AccountOpened(command.accountId, command.owner, new Date()));
    return account;
  }

  deposit(amount: number): void {
    if (!(amount > 0)) throw new RangeError(`deposit must be positive, got ${amount}`);
    this.raise(new MoneyDeposited(this.id, amount));
  }

  protected applyMoneyDeposited(e: MoneyDeposited): void {
    this.balance += e.amount;
  }
}

// 3. A read model: follows the account category, catch-up then live, idempotent by checkpoint.
export class Balances extends ReadModelBase {
  static override eventTypes = registry;
  readonly byAccount = new Map<string, { owner: string; balance: number }>();

  constructor(options: ReadModelOptions) {
    super('balances', options);
  }
  protected applyAccountOpened(e: AccountOpened): void {
    this.byAccount.set(e.accountId, { owner: e.owner, balance: 0 });
  }
  protected applyMoneyDeposited(e: MoneyDeposited): void {
    const row = this.byAccount.get(e.accountId);
    if (row) row.balance += e.amount;
  }
  protected override reset(): void {
    this.byAccount.clear();
  }
}

// 4. Wiring: a store, a repository, command handlers on the dispatcher.
export function createBank() {
  const store = new InMemoryStreamStore();
  const serializer = new EventSerializer({ registry });
  const repository = new StreamStoreRepository({ store, serializer });
  const correlated = new CorrelatedRepository(repository);
  const dispatcher = new CommandDispatcher();

  dispatcher.register(OpenAccount, async (command) => {
    await correlated.save(Account.open(command));
  });
  dispatcher.register(DepositMoney, async (command) => {
    const account = await correlated.getById(Account, command.accountId, command);
    account.deposit(command.amount);
    await correlated.save(account);
  });

  const balances = new Balances({ store, serializer });
  const category = ListenerSources.category(repository.streamNames.forCategory(Account.typeName));
  return { store, repository, dispatcher, balances, category };
}
