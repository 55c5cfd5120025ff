/**
 * The bench domain written the Emmett way: events as `{ type, data }`, a pure `evolve` and `initialState`, the
 * in-memory event store and `CommandHandler`.
 */
import { CommandHandler, getInMemoryEventStore, type Event, type InMemoryEventStore } from '@event-driven-io/emmett';

export type EmmettAccountOpened = Event<'AccountOpened', { accountId: string }>;
export type EmmettDeposited = Event<'Deposited', { accountId: string; amount: number }>;
export type EmmettAccountEvent = EmmettAccountOpened | EmmettDeposited;

export interface EmmettAccount {
  balance: number;
  deposits: number;
}

export const initialState = (): EmmettAccount => ({ balance: 0, deposits: 0 });

export function evolve(state: EmmettAccount, event: EmmettAccountEvent): EmmettAccount {
  switch (event.type) {
    case 'AccountOpened':
      return { balance: 0, deposits: 0 };
    case 'Deposited':
      return { balance: state.balance + event.data.amount, deposits: state.deposits + 1 };
  }
}

/** The decide step of a deposit command. */
export function deposit(amount: number, accountId: string) {
  return (_state: EmmettAccount): EmmettDeposited => {
    if (!(amount > 0)) throw new Error('amount must be positive');
    return { type: 'Deposited', data: { accountId, amount } };
  };
}

export const handle = CommandHandler<EmmettAccount, EmmettAccountEvent>({ evolve, initialState });

export function emmettDepositEvents(accountId: string, count: number): EmmettDeposited[] {
  const events: EmmettDeposited[] = [];
  for (let i = 0; i < count; i++) events.push({ type: 'Deposited', data: { accountId, amount: 1 + (i % 7) } });
  return events;
}

/** Appends an opened account and `deposits` deposits in one append (Emmett's append copies the stream each time). */
export async function seedEmmett(store: InMemoryEventStore, accountId: string, deposits: number): Promise<void> {
  const events: EmmettAccountEvent[] = [{ type: 'AccountOpened', data: { accountId } }, ...emmettDepositEvents(accountId, deposits)];
  await store.appendToStream(accountId, events);
}

export { getInMemoryEventStore, type InMemoryEventStore };
