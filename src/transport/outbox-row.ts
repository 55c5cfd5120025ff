import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import type { OutboxEntry, StoredOutboxEntry } from './outbox-store';
import { assertTopic, assertTransportMessage, type TransportMessage } from './transport-message';

/** The optional fields of a message, which SQL outbox stores keep as one JSON text (`envelope`). */
export type OutboxEnvelope = Omit<TransportMessage, 'messageId' | 'type' | 'body'>;

/** One row of a SQL outbox table, as the PostgreSQL and SQLite outbox stores read it. */
export interface OutboxRow {
  /** The row's sequence number (a string from PostgreSQL's `bigint`, a number from SQLite). */
  readonly sequence: string | number;
  /** Topic to publish to. */
  readonly topic: string;
  /** The message's id. */
  readonly message_id: string;
  /** The message's type name. */
  readonly type: string;
  /** The message's body. */
  readonly body: string;
  /** The other fields of the message, as JSON ({@link OutboxEnvelope}). */
  readonly envelope: string;
}

/** The fields of `message` stored in the envelope column (JSON.stringify drops the undefined ones). */
export function outboxEnvelopeOf(message: TransportMessage): OutboxEnvelope {
  const { messageId: _id, type: _type, body: _body, ...rest } = message;
  return rest;
}

/** The stored entry of an outbox row; a corrupt envelope is an {@link InvalidArgumentError} naming the row. */
export function outboxEntryOf(row: OutboxRow): StoredOutboxEntry {
  let envelope: OutboxEnvelope;
  try {
    envelope = JSON.parse(row.envelope) as OutboxEnvelope;
  } catch (error) {
    throw new InvalidArgumentError(
      `Stored outbox entry ${row.sequence} has a corrupt envelope: ${row.envelope.slice(0, 100)}`,
      { cause: error },
    );
  }
  return {
    sequence: BigInt(row.sequence),
    topic: row.topic,
    message: { ...envelope, messageId: row.message_id, type: row.type, body: row.body },
  };
}

/**
 * Checks the entries handed to a SQL outbox's `enqueue`: an array of objects with a valid topic and message
 * (`InvalidTopicError` naming the field), all of them before anything is written.
 * @internal shared by the SQL outbox stores
 */
export function assertOutboxEntries(entries: readonly OutboxEntry[]): void {
  if (!Array.isArray(entries))
    throw new InvalidArgumentError(`enqueue: entries must be an array, got ${describeValue(entries)}`);
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null)
      throw new InvalidArgumentError(`enqueue: an entry must be an object, got ${describeValue(entry)}`);
    assertTopic(entry.topic);
    assertTransportMessage(entry.message);
  }
}

/**
 * Checks the sequences handed to a SQL outbox's `markSent`: an array of bigints.
 * @internal shared by the SQL outbox stores
 */
export function assertOutboxSequences(sequences: readonly bigint[]): void {
  if (!Array.isArray(sequences) || sequences.some((s) => typeof s !== 'bigint'))
    throw new InvalidArgumentError(
      `markSent: expected an array of bigint sequences, got ${describeValue(sequences)}`,
    );
}
