/**
 * The bench domain written the @nestjs/cqrs way: an `AggregateRoot` with `on<Event>` handlers, a `@CommandHandler`
 * that loads history (Nest has no event store, so from a hand-written in-memory map), applies, appends and commits
 * through the `EventPublisher`, and `@EventsHandler`s on the `EventBus`. Wired in a real Nest application context.
 *
 * Decorators need `experimentalDecorators` (bench/tsconfig.json). tsx (esbuild) does not emit `design:paramtypes`,
 * so every constructor dependency is injected with an explicit `@Inject(token)`, as Nest allows.
 */
import 'reflect-metadata';
import { Inject, Injectable, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AggregateRoot,
  CommandBus,
  CommandHandler,
  CqrsModule,
  EventBus,
  EventPublisher,
  EventsHandler,
  type ICommandHandler,
  type IEventHandler,
} from '@nestjs/cqrs';

export class NestAccountOpened {
  constructor(readonly accountId: string) {}
}

export class NestDeposited {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {}
}

export class NestAccount extends AggregateRoot {
  balance = 0;
  deposits = 0;
  constructor(readonly id: string) {
    super();
  }

  deposit(amount: number): void {
    if (!(amount > 0)) throw new Error('amount must be positive');
    this.apply(new NestDeposited(this.id, amount));
  }

  onNestAccountOpened(_e: NestAccountOpened): void {
    this.balance = 0;
  }

  onNestDeposited(e: NestDeposited): void {
    this.balance += e.amount;
    this.deposits++;
  }
}

/**
 * What a Nest user writes for storage, since @nestjs/cqrs has none: an async in-memory event store holding event
 * objects per stream, with an expected-version check.
 */
export class NestEventStore {
  readonly streams = new Map<string, object[]>();

  /** Empties the store, then holds one opened account per id. */
  reset(ids: readonly string[]): void {
    this.streams.clear();
    for (const id of ids) this.streams.set(id, [new NestAccountOpened(id)]);
  }

  async read(id: string): Promise<readonly object[]> {
    return this.streams.get(id) ?? [];
  }

  async append(id: string, expectedLength: number, events: readonly object[]): Promise<void> {
    let stream = this.streams.get(id);
    const length = stream?.length ?? 0;
    if (length !== expectedLength) throw new Error(`concurrency conflict on ${id}: expected ${expectedLength}, got ${length}`);
    if (!stream) this.streams.set(id, (stream = []));
    for (const e of events) stream.push(e);
  }
}

export class NestDeposit {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {}
}

export const STORE = Symbol('NestEventStore');

@CommandHandler(NestDeposit)
export class NestDepositHandler implements ICommandHandler<NestDeposit, number> {
  constructor(
    @Inject(STORE) private readonly store: NestEventStore,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
  ) {}

  async execute(command: NestDeposit): Promise<number> {
    const history = await this.store.read(command.accountId);
    const account = this.publisher.mergeObjectContext(new NestAccount(command.accountId));
    account.loadFromHistory(history as object[]);
    account.deposit(command.amount);
    await this.store.append(command.accountId, history.length, account.getUncommittedEvents());
    account.commit(); // publishes the new events on the EventBus
    return account.balance;
  }
}

/** Counts what the four event handlers of the fan-out workload saw. */
export const fanOut = { calls: 0, sum: 0 };

function fanOutHandler(): Type<IEventHandler<NestDeposited>> {
  @EventsHandler(NestDeposited)
  class Handler implements IEventHandler<NestDeposited> {
    handle(event: NestDeposited): void {
      fanOut.calls++;
      fanOut.sum += event.amount;
    }
  }
  return Handler;
}

export const fanOutHandlers = [fanOutHandler(), fanOutHandler(), fanOutHandler(), fanOutHandler()];

@Injectable()
class Placeholder {}

/** A Nest application context with the command handler, or with the four fan-out event handlers. */
export async function createNestApp(kind: 'commands' | 'fan-out', store = new NestEventStore()) {
  const providers = kind === 'commands' ? [NestDepositHandler, { provide: STORE, useValue: store }] : [...fanOutHandlers, Placeholder];
  @Module({ imports: [CqrsModule.forRoot()], providers })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  return { app, commandBus: app.get(CommandBus), eventBus: app.get(EventBus), store };
}
