import { InvalidIdError, defineId, isUuid, newId, type Id } from '../../src/core';

const OrderId = defineId('OrderId');
type OrderId = Id<'OrderId'>;
const CustomerId = defineId('CustomerId');
type CustomerId = Id<'CustomerId'>;

describe('ids', () => {
  it('generates time-ordered UUID v7 ids', () => {
    const a = newId();
    const b = newId();
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('7');
    expect(a < b).toBe(true);
  });

  it('typed ids are plain strings at run time and parse only UUIDs', () => {
    const id: OrderId = OrderId.create();
    expect(typeof id).toBe('string');
    expect(JSON.stringify({ id })).toBe(`{"id":"${id}"}`);
    expect(OrderId.parse(id)).toBe(id);
    expect(() => OrderId.parse('nope')).toThrow(InvalidIdError);
    expect(() => OrderId.parse(42)).toThrow('OrderId: expected a UUID string, got number');
  });

  it('keeps ids of different entities apart at compile time', () => {
    const customer: CustomerId = CustomerId.create();
    const takesOrder = (id: OrderId): string => id;
    // @ts-expect-error a CustomerId is not an OrderId (checked by `tsc --noEmit` in the test command)
    takesOrder(customer);
    // @ts-expect-error a plain string is not an OrderId either
    takesOrder('x');
    expect(OrderId.is(customer)).toBe(true);
  });
});
