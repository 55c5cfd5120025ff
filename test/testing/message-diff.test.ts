import { compareMessages, diffValues, formatValue } from '../../src/testing';
import { AccountId, AccountOpened, Deposited, Withdrawn, registry } from './fixtures';

class Line {
  constructor(
    readonly sku: string,
    readonly quantity: number,
  ) {}
}

describe('message diff', () => {
  const id = AccountId.create();

  it('formats values compactly, ids left out', () => {
    const event = new Deposited(id, 5);
    expect(formatValue(event)).toBe(`Deposited { accountId: "${id}", amount: 5 }`);
    expect(formatValue(event, { withIds: true })).toContain(`msgId: "${event.msgId}"`);
    expect(
      formatValue({
        at: new Date('2026-01-01T00:00:00Z'),
        n: 10n,
        m: new Map([['a', 1]]),
        s: new Set([1]),
        l: [new Line('x', 1)],
      }),
    ).toBe(
      '{ at: Date(2026-01-01T00:00:00.000Z), n: 10n, m: Map { "a" => 1 }, s: Set { 1 }, l: [Line { sku: "x", quantity: 1 }] }',
    );
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(formatValue(cyclic)).toBe('{ self: [circular] }');
  });

  it('diffs nested values by path', () => {
    expect(diffValues({ a: 1, lines: [new Line('x', 1)] }, { a: 1, lines: [new Line('x', 2)] })).toEqual([
      '.lines[0].quantity: expected 1, got 2',
    ]);
    expect(diffValues({ a: [1, 2] }, { a: [1] })).toEqual(['.a: expected 2 element(s), got 1: [1]']);
    expect(diffValues({ a: 1 }, { a: 1, b: 2 })).toEqual(['.b: unexpected field (got 2)']);
    expect(diffValues({ a: 1, b: 2 }, { a: 1 })).toEqual(['.b: missing (expected 2)']);
    expect(diffValues(new Date(1), new Date(2))).toEqual([
      'value: expected Date(1970-01-01T00:00:00.001Z), got Date(1970-01-01T00:00:00.002Z)',
    ]);
    expect(diffValues(new Date(1), new Date(1))).toEqual([]);
    expect(diffValues(new Line('x', 1), { sku: 'x', quantity: 1 })).toEqual([
      'value: expected Line { sku: "x", quantity: 1 }, got { sku: "x", quantity: 1 }',
    ]);
    expect(diffValues({ at: expect.any(Date) }, { at: new Date() })).toEqual([]);
    expect(diffValues({ at: expect.any(Date) }, { at: 'today' })[0]).toMatch(
      /^\.at: expected Any<Date>, got "today"$/,
    );
  });

  it('compares message lists ignoring msgId, and ids only when expected', () => {
    const a = new Deposited(id, 1);
    const b = new Deposited(id, 1);
    expect(compareMessages([a], [b])).toEqual([]);
    b.correlationId = 'c';
    expect(compareMessages([a], [b])).toEqual([]);
    a.correlationId = 'd';
    expect(compareMessages([a], [b])).toEqual(['#0 Deposited.correlationId: expected "d", got "c"']);
    expect(compareMessages([a], [b], { ids: 'never' })).toEqual([]);
    expect(compareMessages([new AccountOpened(id, 'x')], [new Withdrawn(id, 1)], { registry })).toEqual([
      `#0: expected AccountOpened { accountId: "${id}", owner: "x" }, got Withdrawn { accountId: "${id}", amount: 1 }`,
    ]);
  });
});
