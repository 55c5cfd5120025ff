import type * as Rxjs from 'rxjs';
import { Event, EventTypeRegistry } from '../../src/core';
import type * as EventSerializerModule from '../../src/persistence/event-serializer';
import { requireOptionalPackage } from '../../src/persistence/optional-package';
import { OptionalPackageMissingError } from '../../src/persistence/optional-package.errors';

/** A package name no registry will ever hold (scoped under this library's own name). */
const ABSENT = '@reactive-domain-tests/never-installed';

describe('requireOptionalPackage', () => {
  it('loads an installed package once and hands out the same module', () => {
    const first = requireOptionalPackage<typeof Rxjs>('rxjs', 'a test');
    expect(typeof first.Subject).toBe('function');
    expect(requireOptionalPackage('rxjs', 'a test')).toBe(first);
  });

  it('a missing package fails with OptionalPackageMissingError naming the package and what needed it', () => {
    let caught: unknown;
    try {
      requireOptionalPackage(ABSENT, 'the test feature');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OptionalPackageMissingError);
    expect(caught).toMatchObject({
      code: 'OPTIONAL_PACKAGE_MISSING',
      packageName: ABSENT,
      neededFor: 'the test feature',
    });
    expect((caught as Error).message).toContain(`add ${ABSENT} to your dependencies`);
    expect(String((caught as Error).cause)).toContain(ABSENT);
  });
});

describe('class-transformer is loaded only for types registered with useClassTransformer', () => {
  class Plain extends Event {
    constructor(readonly n: number) {
      super();
    }
  }
  class Transformed extends Event {
    constructor(readonly n: number) {
      super();
    }
  }

  afterEach(() => jest.dontMock('class-transformer'));

  it('without class-transformer: plain types (de)serialise; a useClassTransformer type fails typed, naming it', () => {
    jest.isolateModules(() => {
      jest.doMock('class-transformer', () => {
        throw Object.assign(new Error("Cannot find module 'class-transformer'"), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      const { EventSerializer } = jest.requireActual<typeof EventSerializerModule>(
        '../../src/persistence/event-serializer',
      );
      const serializer = new EventSerializer({
        registry: new EventTypeRegistry()
          .register(Plain, 'Plain')
          .register(Transformed, 'Transformed', { useClassTransformer: true }),
      });
      expect(JSON.parse(serializer.serialize(new Plain(1)).data)).toEqual({ n: 1 });
      let caught: unknown;
      try {
        serializer.serialize(new Transformed(2));
      } catch (error) {
        caught = error;
      }
      // The error class comes from the isolated module registry: match on the stable code and fields.
      expect(caught).toMatchObject({
        code: 'OPTIONAL_PACKAGE_MISSING',
        packageName: 'class-transformer',
        neededFor: 'event type "Transformed" (registered with useClassTransformer)',
      });
    });
  });
});
