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

describe('newId (UUID v7)', () => {
  const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('has the v7 layout: version 7, RFC variant, the current millisecond in the first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(V7);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
  });

  it('is unique and strictly increasing over many ids made in the same milliseconds', () => {
    const ids = Array.from({ length: 100_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1]! < ids[i]!)) throw new Error(`ids out of order at ${i}: ${ids[i - 1]} >= ${ids[i]}`);
    }
    expect(ids.every((id) => V7.test(id))).toBe(true);
  });

  it('stays monotonic when the clock steps back', () => {
    const first = newId();
    const now = Date.now;
    try {
      Date.now = () => now() - 60_000;
      const later = newId();
      expect(later > first).toBe(true);
    } finally {
      Date.now = now;
    }
  });

  it('isUuid accepts canonical UUIDs of any version and rejects the rest', () => {
    expect(isUuid('0190d1c2-8a4e-4f00-9b3c-1234567890ab')).toBe(true);
    expect(isUuid('00000000-0000-0000-0000-000000000000')).toBe(true);
    expect(isUuid('0190D1C2-8A4E-7F00-9B3C-1234567890AB')).toBe(true);
    expect(isUuid('0190d1c2-8a4e-7f00-cb3c-1234567890ab')).toBe(false); // wrong variant
    expect(isUuid('0190d1c28a4e7f009b3c1234567890ab')).toBe(false);
    expect(isUuid(' 0190d1c2-8a4e-7f00-9b3c-1234567890ab')).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});
