import { defineId, type Id } from './reactive-domain';

/** Typed ids: an `OrderId` cannot be passed where a `CustomerId` is expected, although both are UUID strings. */
export const OrderId = defineId('OrderId');
export type OrderId = Id<'OrderId'>;
export const CustomerId = defineId('CustomerId');
export type CustomerId = Id<'CustomerId'>;
export const ProductId = defineId('ProductId');
export type ProductId = Id<'ProductId'>;
export const WarehouseId = defineId('WarehouseId');
export type WarehouseId = Id<'WarehouseId'>;
/** The one warehouse of the example (a routing rule would choose among several in a real service). */
export const MAIN_WAREHOUSE: WarehouseId = WarehouseId.parse('0190f5a2-0000-7000-8000-000000000001');
export const PaymentId = defineId('PaymentId');
export type PaymentId = Id<'PaymentId'>;
