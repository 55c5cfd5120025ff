/** Profiling driver for the command round trip (run with --cpu-prof): `direct` (repository) or `dispatcher`; N commands over 1,000 aggregates. */
import { randomUUID } from 'node:crypto';
import { Account, Deposit, InMemoryStreamStore, PassThroughSerializer, Seed, AccountOpened, newCorrelatedRepository } from '../lib/ours';
import { CommandDispatcher } from '../../dist/messaging';
const mode = process.argv[2] ?? 'direct';
(async () => {
  const ids = Array.from({ length: 1000 }, () => randomUUID());
  const pass = new PassThroughSerializer({ registry: Account.eventTypes });
  const store = new InMemoryStreamStore();
  const src = new Seed();
  for (const id of ids) { const o = new AccountOpened(id); o.correlationId = src.msgId; o.causationId = src.msgId; await store.appendToStream(`account-${id}`, 'no_stream', [pass.serialize(o)]); }
  const repo = newCorrelatedRepository(store, { serializer: pass });
  const dispatcher = new CommandDispatcher();
  dispatcher.register(Deposit, async (c) => { const a = await repo.getById(Account, c.accountId, c); a.deposit(c.amount); await repo.save(a); });
  const N = Number(process.env.N ?? 200000);
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const id = ids[i % 1000]!;
    if (mode === 'direct') { const c = new Deposit(id, 1); const a = await repo.getById(Account, id, c); a.deposit(1); await repo.save(a); }
    else await dispatcher.send(new Deposit(id, 1));
  }
  console.log(mode, 'commands/s', Math.round(N / ((performance.now() - t) / 1000)));
})();
