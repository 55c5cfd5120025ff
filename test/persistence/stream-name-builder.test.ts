import { InvalidArgumentError } from '../../src/core/reactive-domain.error';
import {
  InMemoryStreamStore,
  PrefixedCamelCaseStreamNameBuilder,
  categoryFilter,
  eventTypeFilter,
  exactEventTypes,
  parseStreamName,
  ExpectedVersion,
} from '../../src/persistence';
import { sampleEvent as anEvent } from '../../src/testing';

const id = '0190d1c2-8a4e-7f00-b000-000000000001';

describe('PrefixedCamelCaseStreamNameBuilder', () => {
  it('names aggregate streams camelCaseType-id, keeping the id as given (UUID with dashes)', () => {
    const names = new PrefixedCamelCaseStreamNameBuilder();
    expect(names.forAggregate('TestAggregate', id)).toBe(`testAggregate-${id}`);
    expect(names.forAggregate('Account', 'legacy96370d82aa')).toBe('account-legacy96370d82aa');
  });

  it('prefixes with the lower-cased prefix and a dot', () => {
    const names = new PrefixedCamelCaseStreamNameBuilder('UnitTest');
    expect(names.prefix).toBe('unittest');
    expect(names.forAggregate('TestAggregate', id)).toBe(`unittest.testAggregate-${id}`);
    expect(names.forCategory('TestAggregate')).toBe('unittest.testAggregate');
    expect(new PrefixedCamelCaseStreamNameBuilder('bank.eu').forCategory('Account')).toBe('bank.eu.account');
  });

  it('categories and event-type views', () => {
    const names = new PrefixedCamelCaseStreamNameBuilder();
    expect(names.forCategory('TestAggregate')).toBe('testAggregate');
    expect(names.forCategory('ABCThing')).toBe('aBCThing');
    expect(names.forEventType('AccountOpened')).toBe('$et-AccountOpened');
    expect(new PrefixedCamelCaseStreamNameBuilder('x').forEventType('AccountOpened')).toBe(
      '$et-AccountOpened',
    );
  });

  it.each([[''], ['   '], ['has-dash'], ['has space'], ['a..b']])('rejects the prefix %j', (prefix) => {
    expect(() => new PrefixedCamelCaseStreamNameBuilder(prefix)).toThrow(InvalidArgumentError);
  });

  it('rejects type names that would break parsing, and blank ids', () => {
    const names = new PrefixedCamelCaseStreamNameBuilder();
    expect(() => names.forAggregate('Bank-Account', id)).toThrow(InvalidArgumentError);
    expect(() => names.forAggregate('', id)).toThrow(InvalidArgumentError);
    expect(() => names.forAggregate('Account', ' ')).toThrow(InvalidArgumentError);
    expect(() => names.forEventType('')).toThrow(InvalidArgumentError);
  });

  it('parses a stream name back into category and id (split at the first dash)', () => {
    const names = new PrefixedCamelCaseStreamNameBuilder('bank');
    expect(parseStreamName(names.forAggregate('Account', id))).toEqual({ category: 'bank.account', id });
    expect(parseStreamName('nodash')).toBeUndefined();
    expect(parseStreamName('-x')).toBeUndefined();
    expect(parseStreamName('x-')).toBeUndefined();
    expect(parseStreamName('$ce-account')).toBeUndefined();
  });
});

describe('$all filters for categories and event types', () => {
  it('a category filter selects exactly that category (not one that merely starts with the same letters)', async () => {
    const names = new PrefixedCamelCaseStreamNameBuilder();
    expect(names.categoryFilter('Account')).toEqual({ on: 'streamName', prefixes: ['account-'] });
    const store = new InMemoryStreamStore();
    await store.appendToStream(names.forAggregate('Account', id), ExpectedVersion.Any, [anEvent()]);
    await store.appendToStream(names.forAggregate('AccountHolder', id), ExpectedVersion.Any, [anEvent()]);
    const read = await store.readAll({ filter: names.categoryFilter('Account') });
    expect(read.events.map((e) => e.streamName)).toEqual([`account-${id}`]);
    expect(() => categoryFilter('bad-category')).toThrow(InvalidArgumentError);
  });

  it('an event-type filter is a prefix filter; exactEventTypes completes it', async () => {
    const store = new InMemoryStreamStore();
    await store.appendToStream('s-1', ExpectedVersion.Any, [
      anEvent('Deposited'),
      anEvent('DepositedV2'),
      anEvent('Withdrawn'),
    ]);
    const read = await store.readAll({ filter: eventTypeFilter('Deposited', 'Withdrawn') });
    expect(read.events.map((e) => e.type)).toEqual(['Deposited', 'DepositedV2', 'Withdrawn']);
    expect(read.events.filter(exactEventTypes('Deposited', 'Withdrawn')).map((e) => e.type)).toEqual([
      'Deposited',
      'Withdrawn',
    ]);
    expect(() => eventTypeFilter()).toThrow(InvalidArgumentError);
  });
});
