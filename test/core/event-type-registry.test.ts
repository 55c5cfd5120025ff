import {
  DuplicateEventTypeError,
  Event,
  EventTypeRegistry,
  InvalidArgumentError,
  UnknownEventTypeError,
  UnregisteredEventTypeError,
  eventType,
} from '../../src/core';

class Opened extends Event {}
class Closed extends Event {}

describe('EventTypeRegistry', () => {
  it('looks types up both ways', () => {
    const registry = new EventTypeRegistry().register(Opened, 'Opened', { version: 1 });
    expect(registry.nameOf(new Opened())).toBe('Opened');
    expect(registry.typeOf('Opened')).toBe(Opened);
    expect(registry.entryOfName('Opened')?.version).toBe(1);
    expect(registry.has('Closed')).toBe(false);
  });

  it('rejects one name for two classes and two names for one class', () => {
    const registry = new EventTypeRegistry().register(Opened, 'Opened');
    expect(() => registry.register(Closed, 'Opened')).toThrow(DuplicateEventTypeError);
    expect(() => registry.register(Opened, 'Opened2')).toThrow(/already registered as "Opened"/);
    try {
      registry.register(Closed, 'Opened');
    } catch (error) {
      expect((error as DuplicateEventTypeError).code).toBe('DUPLICATE_EVENT_TYPE');
    }
  });

  it('rejects blank names, bad versions and missing upcasters', () => {
    const registry = new EventTypeRegistry();
    expect(() => registry.register(Opened, '  ')).toThrow(InvalidArgumentError);
    expect(() => registry.register(Opened, 'Opened', { version: 0 })).toThrow(/positive integer/);
    expect(() => registry.register(Opened, 'Opened', { version: 3, upcasters: { 1: (p) => p } })).toThrow(
      /upcaster from version 2/,
    );
  });

  it('names the stream and revision of an unknown stored type', () => {
    const registry = new EventTypeRegistry();
    const error = (() => {
      try {
        registry.typeOf('Ghost', 'account-1', 7);
      } catch (e) {
        return e as UnknownEventTypeError;
      }
    })();
    expect(error).toBeInstanceOf(UnknownEventTypeError);
    expect(error?.code).toBe('UNKNOWN_EVENT_TYPE');
    expect(error?.message).toBe(
      'Unknown event type "Ghost" in stream "account-1" at revision 7: no class is registered under this name',
    );
  });

  it('refuses to name an unregistered instance (never falls back to constructor.name)', () => {
    const registry = new EventTypeRegistry();
    expect(() => registry.nameOf(new Opened())).toThrow(UnregisteredEventTypeError);
    expect(() => registry.nameOf({})).toThrow(UnregisteredEventTypeError);
  });

  it('registers through the decorator', () => {
    const registry = new EventTypeRegistry();
    @eventType('Decorated', { registry, version: 2, upcasters: { 1: (p) => ({ ...p, added: true }) } })
    class Decorated extends Event {}
    expect(registry.typeOf('Decorated')).toBe(Decorated);
    expect(registry.entryOfType(Decorated)?.version).toBe(2);
  });
});
