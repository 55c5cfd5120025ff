import type { MessageType } from './message';

/**
 * How one payload field is restored from JSON, for the values plain JSON cannot carry:
 * - `Date`: stored as an ISO-8601 string, restored as a `Date`;
 * - `BigInt`: stored as a decimal string, restored as a `bigint`;
 * - a class: a nested value object, restored as an instance of that class (its own fields copied as they are);
 * - `{ type?, fields }`: a nested object (optionally of a class) whose own fields have a schema;
 * - `{ arrayOf }`: an array whose items follow the inner spec.
 * Fields without a spec are copied as they are (strings, numbers, booleans, null, plain objects and arrays).
 */
export type FieldSpec =
  | DateConstructor
  | BigIntConstructor
  | MessageType
  | {
      /** Spec that every item of the array follows. */
      readonly arrayOf: FieldSpec;
    }
  | {
      /** Class whose prototype the restored object gets (its constructor is not run); a plain object when omitted. */
      readonly type?: MessageType;
      /** Schema of the nested object's own fields. */
      readonly fields: FieldSchema;
    };

/** Field name -> how to restore it. */
export type FieldSchema = { readonly [field: string]: FieldSpec };
