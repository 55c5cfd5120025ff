import type { ClientBase } from 'pg';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { validPositiveInteger } from '../../transport/deadline';
import type { OutboxEntry, OutboxStore, StoredOutboxEntry } from '../../transport/outbox-store';
import {
  assertOutboxEntries,
  assertOutboxSequences,
  outboxEntryOf,
  outboxEnvelopeOf,
  type OutboxRow,
} from '../../transport/outbox-row';
import { PostgresConnection, StoreReadiness, type PostgresConnectionOptions } from './postgres-connection';
import { assertSchemaReady } from './postgres-schema';

/**
 * An {@link OutboxStore} in PostgreSQL (table `outbox` of the schema, schema version 2; run `migrate()` first), for
 * messages that are not events (a command to another service): {@link enqueue} inserts them through your
 * transaction's client, beside `PostgresStreamStore.appendInTransaction` or your read-model writes, so they commit
 * with the state change that decided them or not at all. An `OutboxRelay` publishes them and marks them sent
 * (deletes them) after the broker confirmed.
 *
 * Order: entries are returned in `sequence` order (taken at insert). One transaction's entries keep their order;
 * entries of two overlapping transactions follow their inserts, and an entry whose transaction commits later than a
 * higher-numbered one is published after it (never lost: sent entries are deleted, nothing is skipped by a
 * checkpoint). Run one relay per outbox: a second relay would publish the same entries again (duplicates, which the
 * receivers' inbox absorbs, never losses).
 */
export class PostgresOutboxStore implements OutboxStore<ClientBase> {
  /** The schema holding the outbox. */
  readonly schema: string;
  private readonly db: PostgresConnection;
  private readonly readiness: StoreReadiness;

  constructor(options: PostgresConnectionOptions) {
    this.db = new PostgresConnection(options, 'PostgresOutboxStore');
    this.readiness = new StoreReadiness('PostgresOutboxStore', () => assertSchemaReady(this.db));
    this.schema = this.db.schema;
  }

  /**
   * Inserts `entries` through `client`, inside the transaction you opened on it (one statement: all or none). Every
   * entry is checked first (topic and message, `InvalidTopicError` naming the field); nothing is written when one is
   * invalid.
   */
  async enqueue(client: ClientBase, entries: readonly OutboxEntry[]): Promise<void> {
    if (typeof client?.query !== 'function')
      throw new InvalidArgumentError(`enqueue: client must be a pg client, got ${describeValue(client)}`);
    assertOutboxEntries(entries);
    if (entries.length === 0) return;
    await this.readiness.ensure();
    await this.db.run(
      client,
      { what: `enqueue ${entries.length} outbox message(s)`, write: true },
      `INSERT INTO ${this.db.name('outbox')} (topic, message_id, type, body, envelope) ` +
        'SELECT topic, message_id, type, body, envelope FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY ' +
        'AS x(topic, message_id, type, body, envelope, n) ORDER BY n',
      [
        entries.map((e) => e.topic),
        entries.map((e) => e.message.messageId),
        entries.map((e) => e.message.type),
        entries.map((e) => e.message.body),
        entries.map((e) => JSON.stringify(outboxEnvelopeOf(e.message))),
      ],
    );
  }

  async pending(limit: number): Promise<readonly StoredOutboxEntry[]> {
    validPositiveInteger(limit, 'pending(limit)');
    await this.readiness.ensure();
    const rows = await this.db.query<OutboxRow>(
      { what: 'read the pending outbox messages', write: false },
      'SELECT sequence::text AS sequence, topic, message_id, type, body, envelope ' +
        `FROM ${this.db.name('outbox')} ORDER BY sequence LIMIT $1`,
      [limit],
    );
    return rows.map(outboxEntryOf);
  }

  async markSent(sequences: readonly bigint[]): Promise<void> {
    assertOutboxSequences(sequences);
    if (sequences.length === 0) return;
    await this.readiness.ensure();
    await this.db.query(
      { what: `mark ${sequences.length} outbox message(s) sent`, write: true },
      `DELETE FROM ${this.db.name('outbox')} WHERE sequence = ANY($1::bigint[])`,
      [sequences.map(String)],
    );
  }

  /** Ends the pool if the store created it. Later calls fail with `StoreUnavailableError`. */
  async close(): Promise<void> {
    this.readiness.close();
    await this.db.end();
  }
}
