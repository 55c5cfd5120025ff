import { ListenerSources, allFilterOf, deliversFrom } from '../../../src/foundation';
import type { RecordedEvent } from '../../../src/persistence';

const event = (streamName: string, type: string): RecordedEvent => ({
  streamName,
  type,
  revision: 0,
  position: 1n,
  eventId: '0190d1c2-8a4e-7f00-9b3c-1234567890ab',
  data: '{}',
  metadata: '{}',
  created: new Date(0),
});

describe('listener sources', () => {
  it('a category source reads $all by the "<category>-" prefix and delivers only that category', () => {
    const source = ListenerSources.category('order');
    expect(allFilterOf(source as Exclude<typeof source, { kind: 'stream' }>)).toEqual({
      on: 'streamName',
      prefixes: ['order-'],
    });
    expect(deliversFrom(source, event('order-1', 'OrderPlaced'))).toBe(true);
    expect(deliversFrom(source, event('orderLine-1', 'LineAdded'))).toBe(false);
  });

  it('an event-type source filters by prefix on the store, then keeps exact names only', () => {
    const source = ListenerSources.eventType('Deposited');
    expect(deliversFrom(source, event('account-1', 'Deposited'))).toBe(true);
    expect(deliversFrom(source, event('account-1', 'DepositedTwice'))).toBe(false);
  });

  it('never delivers system ($) events, even from unfiltered $all', () => {
    expect(deliversFrom(ListenerSources.all(), event('account-1', '$snapshot'))).toBe(false);
    expect(deliversFrom(ListenerSources.all(), event('account-1', 'Deposited'))).toBe(true);
    expect(deliversFrom(ListenerSources.stream('account-1'), event('account-2', 'Deposited'))).toBe(false);
  });
});
