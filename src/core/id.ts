import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from './reactive-domain.error';

/** Random bytes are drawn from a pool refilled in bulk: one `randomFillSync` per 455 ids instead of one per id. */
const POOL_SIZE = 4096;
const RANDOM_BYTES_PER_ID = 9;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** ASCII codes of the two hex digits of each byte: HEX_CODES[2b], HEX_CODES[2b + 1]. */
const HEX_CODES = new Uint8Array(512);
const DIGITS = '0123456789abcdef';
for (let byte = 0; byte < 256; byte++) {
  HEX_CODES[2 * byte] = DIGITS.charCodeAt(byte >> 4);
  HEX_CODES[2 * byte + 1] = DIGITS.charCodeAt(byte & 15);
}

/**
 * The id being built, as ASCII (`xxxxxxxx-xxxx-7xxx-xxxx-xxxxxxxxxxxx`); the timestamp digits stay in place until the
 * millisecond changes. `String.fromCharCode` turns it into a flat string: built by `+` from 16 pieces, an id was a rope
 * that every later use (a regex test, a Map key, JSON) had to flatten first (measured: id + UUID check 550 -> 330 ns).
 */
const text = new Uint8Array(36).fill(0x2d); // '-'
text[14] = 0x37; // '7': the version digit

let lastMs = -Infinity;
let counter = 0;

/**
 * Returns a new message or entity id: an RFC 9562 UUID v7 (48-bit Unix-millisecond timestamp, then a 12-bit
 * counter, then 62 random bits). Ids sort by creation time, also within one millisecond and across a clock that steps
 * back (the counter and the last timestamp keep them monotonic within this process), so they index well.
 * This is the only id generator the library uses. It makes no per-id system call: measured about 3x faster than the
 * `uuid` package's v7 on Node 20.
 */
export function newId(): string {
  if (poolOffset + RANDOM_BYTES_PER_ID > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = pool;
  const o = poolOffset;
  poolOffset += RANDOM_BYTES_PER_ID;
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = r[o + 8]! & 0x7f; // a random start, leaving room to count up within the millisecond
    writeTime(now);
  } else if (++counter > 0xfff) {
    // More ids in one millisecond than the counter holds (or the clock stepped back): borrow the next millisecond.
    lastMs++;
    counter = 0;
    writeTime(lastMs);
  }
  text[15] = HEX_CODES[2 * (counter >> 8) + 1]!;
  writeByte(16, counter & 0xff);
  writeByte(19, (r[o]! & 0x3f) | 0x80); // the variant bits (10xx)
  writeByte(21, r[o + 1]!);
  for (let i = 0; i < 6; i++) writeByte(24 + 2 * i, r[o + 2 + i]!);
  return flatText();
}

/** `tttttttt-tttt`: the 48-bit millisecond timestamp as the first two groups. */
function writeTime(ms: number): void {
  const high = Math.floor(ms / 0x1000000); // bits 47..24
  const low = ms % 0x1000000; // bits 23..0
  writeByte(0, (high >> 16) & 0xff);
  writeByte(2, (high >> 8) & 0xff);
  writeByte(4, high & 0xff);
  writeByte(6, (low >> 16) & 0xff);
  writeByte(9, (low >> 8) & 0xff);
  writeByte(11, low & 0xff);
}

/**
 * `text` as a string, in one call with every code as an argument: V8 builds a flat string directly (about 60 ns,
 * against ~85 ns for `Buffer#toString('latin1')` and ~175 ns for `fromCharCode.apply`).
 */
function flatText(): string {
  const t = text;
  // prettier-ignore
  return String.fromCharCode(
    t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!, t[11]!, t[12]!, t[13]!, t[14]!,
    t[15]!, t[16]!, t[17]!, t[18]!, t[19]!, t[20]!, t[21]!, t[22]!, t[23]!, t[24]!, t[25]!, t[26]!, t[27]!, t[28]!,
    t[29]!, t[30]!, t[31]!, t[32]!, t[33]!, t[34]!, t[35]!,
  );
}

function writeByte(at: number, byte: number): void {
  text[at] = HEX_CODES[2 * byte]!;
  text[at + 1] = HEX_CODES[2 * byte + 1]!;
}

const UUID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;

/** True when `value` is a UUID string in canonical form (versions 1 to 8, or the nil and max UUIDs). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

declare const idBrand: unique symbol;

/**
 * A string id branded with the entity it identifies: an `Id<'Order'>` is not assignable to an `Id<'Customer'>`,
 * although both are plain strings at run time (and serialise as such).
 */
export type Id<Brand extends string> = string & {
  /** Compile-time brand only; never present at run time. */
  readonly [idBrand]: Brand;
};

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
    /** Brand of the id type that rejected the value (as passed to {@link defineId}). */
    readonly brand: string,
    /** The rejected input, as given. */
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
