/**
 * The bench domain written the Emmett way: events as `{ type, data }`, a pure `evolve` and `initialState`, the
 * in-memory event store and `CommandHandler`.
 */
import {
  CommandHandler,
  assertExpectedVersionMatchesCurrent,
  getInMemoryEventStore,
  type AggregateStreamOptions,
  type AggregateStreamResult,
  type AppendToStreamOptions,
  type AppendToStreamResult,
  type Event,
  type EventStore,
  type InMemoryEventStore,
  type ReadStreamResult,
} from '@event-driven-io/emmett';

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
export async function seedEmmett(store: Pick<EventStore, 'appendToStream'>, accountId: string, deposits: number): Promise<void> {
  const events: EmmettAccountEvent[] = [{ type: 'AccountOpened', data: { accountId } }, ...emmettDepositEvents(accountId, deposits)];
  await store.appendToStream(accountId, events);
}

export { getInMemoryEventStore, type InMemoryEventStore };

/**
 * A lean store written to Emmett's `EventStore` interface: a map of event arrays, an expected-version check, nothing
 * else. Why: Emmett's own `getInMemoryEventStore` recounts every stream's events on each append (`getAllEventsCount`,
 * for the global position; ~9 µs per command with 1,000 streams) and copies the stream on every append, so timing
 * `CommandHandler` over it measures a flaw of Emmett's test store, not its command path. This is what a user who
 * needs a fast in-memory store would write for Emmett (no global position, no per-event metadata; objects, no JSON).
 */
export function leanEmmettEventStore(): EventStore & { readonly streams: Map<string, EmmettAccountEvent[]> } {
  const streams = new Map<string, EmmettAccountEvent[]>();
  const versionOf = (events: readonly unknown[] | undefined) => (events === undefined ? 0n : BigInt(events.length));
  const store = {
    streams,
    async aggregateStream<State, EventType extends Event>(
      streamName: string,
      options: AggregateStreamOptions<State, EventType>,
    ): Promise<AggregateStreamResult<State>> {
      const events = streams.get(streamName) as EventType[] | undefined;
      const current = versionOf(events);
      assertExpectedVersionMatchesCurrent(current, options.read?.expectedStreamVersion, 0n);
      let state = options.initialState();
      if (events) for (const e of events) state = options.evolve(state, e as never);
      return { currentStreamVersion: current, state, streamExists: events !== undefined };
    },
    async readStream<EventType extends Event>(streamName: string): Promise<ReadStreamResult<EventType>> {
      const events = streams.get(streamName);
      return { currentStreamVersion: versionOf(events), events: (events ?? []) as never, streamExists: events !== undefined };
    },
    async appendToStream<EventType extends Event>(
      streamName: string,
      events: EventType[],
      options?: AppendToStreamOptions,
    ): Promise<AppendToStreamResult> {
      let stream = streams.get(streamName);
      assertExpectedVersionMatchesCurrent(versionOf(stream), options?.expectedStreamVersion, 0n);
      const created = stream === undefined;
      if (!stream) streams.set(streamName, (stream = []));
      for (const e of events) stream.push(e as unknown as EmmettAccountEvent);
      return { nextExpectedStreamVersion: BigInt(stream.length), createdNewStream: created };
    },
    async streamExists(streamName: string): Promise<boolean> {
      return streams.has(streamName);
    },
  };
  return store as unknown as EventStore & { readonly streams: Map<string, EmmettAccountEvent[]> };
}
