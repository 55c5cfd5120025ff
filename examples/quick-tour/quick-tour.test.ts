import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Fail } from '../../src';
import { Account, AccountId, DepositMoney, MoneyDeposited, OpenAccount, createBank } from './bank';

describe('README five-minute tour', () => {
  it('commands change aggregates, events carry the correlation, the read model follows', async () => {
    const { dispatcher, repository, balances, category, store } = createBank();
    const id = AccountId.create();
    await dispatcher.send(new OpenAccount(id, 'Ada'));
    const deposit = new DepositMoney(id, 100);
    await dispatcher.send(deposit);

    const account = await repository.getById(Account, id);
    expect(account.balance).toBe(100);
    expect(account.expectedVersion).toBe(1);

    const slice = await store.readStream(repository.streamNameOf(Account, id), { fromRevision: 1 });
    if (slice.status !== 'ok') throw new Error('expected the account stream');
    const { event } = repository.serializer.deserialize<MoneyDeposited>(slice.events[0]!);
    expect(event).toBeInstanceOf(MoneyDeposited);
    expect(event).toMatchObject({ amount: 100, causationId: deposit.msgId, correlationId: deposit.msgId });

    await balances.start(category);
    await balances.whenLive();
    expect(balances.byAccount.get(id)).toEqual({ owner: 'Ada', balance: 100 });

    const rejected = await dispatcher.trySend(new DepositMoney(id, 0));
    expect(rejected).toBeInstanceOf(Fail);
    expect(String((rejected as Fail).error)).toBe('RangeError: deposit must be positive, got 0');
    await balances.stop();
    await store.close();
  });

  it('main.ts runs as the README says', () => {
    const root = resolve(__dirname, '../..');
    const out = execFileSync(
      process.execPath,
      [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/quick-tour/main.ts'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(out).toBe(
      "{ owner: 'Ada', balance: 150 }\nrejected: RangeError: deposit must be positive, got -5\n",
    );
  });
});
