import { v7 as uuidv7, validate as uuidValidate } from 'uuid';
import { InvalidArgumentError } from './reactive-domain.error';

/**
 * Returns a new message or entity id: a UUID v7 (time-ordered, so ids created together sort and index together).
 * This is the only id generator the library uses.
 */
export function newId(): string {
  return uuidv7();
}

/** True when `value` is a UUID string in canonical form (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && uuidValidate(value);
}

declare const idBrand: unique symbol;

/**
 * A string id branded with the entity it identifies: an `Id<'Order'>` is not assignable to an `Id<'Customer'>`,
 * although both are plain strings at run time (and serialise as such).
 */
export type Id<Brand extends string> = string & { readonly [idBrand]: Brand };

/** The id factory returned by {@link defineId}. */
export interface IdType<Brand extends string> {
  /** The brand, used in error messages. */
  readonly brand: Brand;
  /** A fresh id (UUID v7). */
  create(): Id<Brand>;
  /** Validates `value` and brands it; throws {@link InvalidIdError} for anything but a UUID string. */
  parse(value: unknown): Id<Brand>;
  /** True when `value` could be parsed. */
  is(value: unknown): value is Id<Brand>;
}

/** A value that should have been an id was not. */
export class InvalidIdError extends InvalidArgumentError {
  override readonly code = 'INVALID_ID';
  constructor(
    readonly brand: string,
    readonly value: unknown,
  ) {
    super(
      `${brand}: expected a UUID string, got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`,
    );
  }
}

/**
 * Defines a typed id for one kind of entity.
 *
 * @example
 * ```ts
 * export const OrderId = defineId('OrderId');
 * export type OrderId = Id<'OrderId'>;
 * const id: OrderId = OrderId.create();
 * ```
 */
export function defineId<Brand extends string>(brand: Brand): IdType<Brand> {
  return {
    brand,
    create: () => newId() as Id<Brand>,
    parse(value: unknown): Id<Brand> {
      if (!isUuid(value)) throw new InvalidIdError(brand, value);
      return value as Id<Brand>;
    },
    is: (value: unknown): value is Id<Brand> => isUuid(value),
  };
}
