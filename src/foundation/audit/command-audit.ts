import type { Command } from '../../core/message';
import { logSafely } from '../../core/logger';
import { describeValue } from '../../core/reactive-domain.error';
import type { CommandMiddleware } from '../../messaging/middleware';
import { ExpectedVersion } from '../../persistence/expected-version';
import type { StreamStore } from '../../persistence/stream-store';

/** Type name of the audit events {@link recordCommands} appends. */
export const COMMAND_RECORDED = 'CommandRecorded';

/** The data of a `CommandRecorded` audit event. */
export interface CommandRecord {
  /** The command's `msgId` (also the audit event's id). */
  readonly commandId: string;
  /** The command's class name (for people and tools; never used to create objects). */
  readonly commandType: string;
  /** How handling ended. */
  readonly outcome: 'success' | 'fail' | 'canceled';
  /** For a failure: the error's `code` (when it has one) and message. */
  readonly error?: {
    /** The error's stable `code`, when it has one. */
    readonly code?: string;
    /** The error's message. */
    readonly message: string;
  };
  /** When the dispatcher started handling it (ISO 8601). */
  readonly startedAt: string;
  /** Handling time in milliseconds. */
  readonly durationMs: number;
  /** The command's own fields (ids excluded), unless recording them was turned off. */
  readonly fields?: Record<string, unknown>;
}

/** Options of {@link recordCommands}. */
export interface CommandAuditOptions {
  /** The audit stream of a command (default `commands-<correlationId>`: one stream per conversation). */
  readonly streamName?: (command: Command) => string;
  /** Record the command's fields (default true). Turn off when commands carry personal data. */
  readonly fields?: boolean;
}

/**
 * A command middleware that records every handled command as a `CommandRecorded` event (see {@link CommandRecord})
 * with the command's correlation and causation in its metadata, so tools (`reactive-domain trace`) can show the
 * commands of a conversation — and which event caused each — beside the events. Only events are otherwise stored.
 *
 * The record is appended after the handler finished, whatever the outcome. A failed append does not change the
 * command's outcome (the command has already happened); it is reported on the process-wide logger.
 *
 * Read models that follow `$all` without a filter see the audit events: filter them out, or register
 * `CommandRecorded`, or choose `unknownEventTypes: 'skip'`.
 */
export function recordCommands(store: StreamStore, options: CommandAuditOptions = {}): CommandMiddleware {
  const streamOf =
    options.streamName ?? ((command: Command) => `commands-${command.correlationId || command.msgId}`);
  const withFields = options.fields ?? true;
  return async (context, next) => {
    const startedAt = new Date();
    const started = performance.now();
    const outcome = await next();
    const command = context.message;
    const failed = outcome.kind !== 'success';
    const error = failed ? (outcome as { error?: unknown }).error : undefined;
    const record: CommandRecord = {
      commandId: command.msgId,
      commandType: command.constructor.name,
      outcome: outcome.kind === 'success' ? 'success' : context.signal.aborted ? 'canceled' : 'fail',
      ...(failed ? { error: errorSummary(error) } : {}),
      startedAt: startedAt.toISOString(),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(withFields ? { fields: fieldsOf(command) } : {}),
    };
    const metadata = {
      rdMetaVersion: 1,
      $correlationId: command.correlationId || command.msgId,
      ...(command.causationId ? { $causationId: command.causationId } : {}),
    };
    let streamName = '(unnamed)';
    try {
      streamName = streamOf(command);
      await store.appendToStream(streamName, ExpectedVersion.Any, [
        {
          eventId: command.msgId,
          type: COMMAND_RECORDED,
          data: JSON.stringify(record, jsonSafe),
          metadata: JSON.stringify(metadata),
        },
      ]);
    } catch (appendError) {
      logSafely(
        'warn',
        { type: 'ReactiveDomainWarning', err: appendError, commandId: command.msgId, stream: streamName },
        `command audit: recording ${record.commandType} ${command.msgId} in ${streamName} failed: ${String(appendError)}`,
      );
    }
    return outcome;
  };
}

const IDS = new Set(['msgId', 'correlationId', 'causationId']);

function fieldsOf(command: Command): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(command)) if (!IDS.has(key)) fields[key] = value;
  return fields;
}

function errorSummary(error: unknown): { code?: string; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    ...(typeof code === 'string' ? { code } : {}),
    message: error instanceof Error ? error.message : describeValue(error),
  };
}

/** bigint as a decimal string; everything else as JSON would have it. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
