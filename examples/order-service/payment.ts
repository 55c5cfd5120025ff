import { AggregateRoot, type CorrelatedMessage } from './reactive-domain';
import type { CustomerId, OrderId, PaymentId } from './ids';
import { PaymentCaptured, PaymentDeclined, orderServiceEvents } from './events';

/** The outcome of a charge at the payment provider. */
export type ChargeResult =
  { readonly approved: true } | { readonly approved: false; readonly reason: string };

/** The payment provider, as the service sees it (a port: swap in a real provider's client). */
export interface PaymentGateway {
  charge(customerId: CustomerId, amountCents: number, signal: AbortSignal): Promise<ChargeResult>;
}

/**
 * A simulated provider for the example and its tests: each customer has a credit limit (default 100,000 cents);
 * a charge above what is left is declined.
 */
export class InMemoryPaymentGateway implements PaymentGateway {
  private readonly spent = new Map<string, number>();
  constructor(
    private readonly limits: ReadonlyMap<string, number> = new Map(),
    private readonly defaultLimitCents = 100_000,
  ) {}

  async charge(customerId: CustomerId, amountCents: number): Promise<ChargeResult> {
    const limit = this.limits.get(customerId) ?? this.defaultLimitCents;
    const spent = this.spent.get(customerId) ?? 0;
    if (spent + amountCents > limit) {
      return {
        approved: false,
        reason: `credit limit exceeded (${limit - spent} cents left, ${amountCents} asked)`,
      };
    }
    this.spent.set(customerId, spent + amountCents);
    return { approved: true };
  }
}

/** One payment for one order: captured or declined, once. */
export class Payment extends AggregateRoot<PaymentId> {
  static readonly typeName = 'Payment';
  static override eventTypes = orderServiceEvents;
  static override strictRouting = true;

  outcome: 'captured' | 'declined' | undefined;

  static record(
    id: PaymentId,
    orderId: OrderId,
    amountCents: number,
    result: ChargeResult,
    source: CorrelatedMessage,
  ): Payment {
    const payment = new Payment(id, source);
    payment.raise(
      result.approved
        ? new PaymentCaptured(id, orderId, amountCents)
        : new PaymentDeclined(id, orderId, amountCents, result.reason),
    );
    return payment;
  }

  protected applyPaymentCaptured(): void {
    this.outcome = 'captured';
  }
  protected applyPaymentDeclined(): void {
    this.outcome = 'declined';
  }
}
