import { Fail } from '../../src';
import { AccountId, DepositMoney, OpenAccount, createBank } from './bank';

async function main(): Promise<void> {
  const { dispatcher, balances, category, store } = createBank();
  const id = AccountId.create();

  await dispatcher.send(new OpenAccount(id, 'Ada'));
  await dispatcher.send(new DepositMoney(id, 100));
  await dispatcher.send(new DepositMoney(id, 50));

  await balances.start(category);
  await balances.whenLive();
  console.log(balances.byAccount.get(id)); // { owner: 'Ada', balance: 150 }

  const rejected = await dispatcher.trySend(new DepositMoney(id, -5));
  if (rejected instanceof Fail) console.log('rejected:', String(rejected.error)); // rejected: RangeError: ...

  await balances.stop();
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
