import type { Command } from '../../core/message';
import { logSafely } from '../../core/logger';
import { describeValue } from '../../core/reactive-domain.error';
import { PRINCIPAL_METADATA_KEY } from '../../messaging/authorization';
import type { CommandMiddleware } from '../../messaging/middleware';
import { PrincipalScope, type Principal } from '../../messaging/principal-scope';
import { ExpectedVersion } from '../../persistence/expected-version';
import type { StreamStore } from '../../persistence/stream-store';
import { TENANT_HEADER, TenantScope } from '../tenancy/tenant-scope';

/** What {@link recordCommands} records in place of a redacted field's value. */
export const REDACTED_MARKER = '[redacted]';

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
  /** The command's own fields (ids excluded), unless recording them was turned off; redacted values are {@link REDACTED_MARKER}. */
  readonly fields?: Record<string, unknown>;
  /**
   * Who sent it: the principal `authorize` left in the pipeline metadata, else `PrincipalScope.current()`. Absent
   * when nobody is known (anonymous).
   */
  readonly principal?: {
    /** The principal's id. */
    readonly id: string;
    /** The principal's roles. */
    readonly roles: readonly string[];
  };
  /** The tenant: the one `enforceTenant` left in the pipeline metadata, else `TenantScope.current()`. */
  readonly tenant?: string;
}

/** Options of {@link recordCommands}. */
export interface CommandAuditOptions {
  /** The audit stream of a command (default `commands-<correlationId>`: one stream per conversation). */
  readonly streamName?: (command: Command) => string;
  /** Record the command's fields (default true). Turn off, or use `redact`, when commands carry personal data. */
  readonly fields?: boolean;
  /**
   * Names of fields whose values are replaced by {@link REDACTED_MARKER} in the recorded fields, at any depth
   * (plain objects and arrays), e.g. `['email', 'password']`. A redacted string value is also masked where it
   * appears in the recorded error message.
   */
  readonly redact?: readonly string[];
  /**
   * Also hands every record to this callback (a log, a SIEM), after the store append. What it throws or rejects
   * with is logged; it never changes the command's outcome.
   */
  readonly sink?: (record: CommandRecord) => void | PromiseLike<void>;
}

/**
 * A command middleware that records every handled command as a `CommandRecorded` event (see {@link CommandRecord})
 * with the command's correlation and causation in its metadata, so tools (`reactive-domain trace`) can show the
 * commands of a conversation — and which event caused each — beside the events. Only events are otherwise stored.
 *
 * The record names the principal (the one `authorize` left under `PRINCIPAL_METADATA_KEY`, else
 * `PrincipalScope.current()`) and the tenant (the one `enforceTenant` left in the metadata, else
 * `TenantScope.current()`). Register it before `enforceTenant` and `authorize` so refusals are recorded too.
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
  const redacted = new Set(options.redact ?? []);
  const sink = options.sink;
  return async (context, next) => {
    const startedAt = new Date();
    const started = performance.now();
    const outcome = await next();
    const command = context.message;
    const failed = outcome.kind !== 'success';
    const error = failed ? (outcome as { error?: unknown }).error : undefined;
    const secrets: string[] = [];
    const principal = principalOf(context.metadata.get(PRINCIPAL_METADATA_KEY) ?? PrincipalScope.current());
    const tenant = tenantOf(context.metadata.get(TENANT_HEADER)) ?? TenantScope.current();
    const fields = withFields || redacted.size > 0 ? fieldsOf(command, redacted, secrets) : undefined;
    const record: CommandRecord = {
      commandId: command.msgId,
      commandType: command.constructor.name,
      outcome: outcome.kind === 'success' ? 'success' : context.signal.aborted ? 'canceled' : 'fail',
      ...(failed ? { error: errorSummary(error, secrets) } : {}),
      startedAt: startedAt.toISOString(),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(withFields ? { fields } : {}),
      ...(principal ? { principal } : {}),
      ...(tenant !== undefined ? { tenant } : {}),
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
    if (sink !== undefined) {
      try {
        await sink(record);
      } catch (sinkError) {
        logSafely(
          'warn',
          { type: 'ReactiveDomainWarning', err: sinkError, commandId: command.msgId },
          `command audit: the sink failed on ${record.commandType} ${command.msgId}: ${String(sinkError)}`,
        );
      }
    }
    return outcome;
  };
}

const IDS = new Set(['msgId', 'correlationId', 'causationId']);

/** The command's fields, redacted values replaced (their string forms collected in `secrets`). */
function fieldsOf(
  command: Command,
  redacted: ReadonlySet<string>,
  secrets: string[],
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(command))
    if (!IDS.has(key)) fields[key] = redactValue(key, value, redacted, secrets, 0);
  return fields;
}

function redactValue(
  key: string,
  value: unknown,
  redacted: ReadonlySet<string>,
  secrets: string[],
  depth: number,
): unknown {
  if (redacted.has(key)) {
    collectSecrets(value, secrets, 0);
    return REDACTED_MARKER;
  }
  // Deep enough for any command; beyond it the value is dropped rather than recorded unchecked.
  if (depth > 16) return REDACTED_MARKER;
  if (Array.isArray(value)) return value.map((item) => redactValue('', item, redacted, secrets, depth + 1));
  if (redacted.size > 0 && isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = redactValue(k, v, redacted, secrets, depth + 1);
    return copy;
  }
  return value;
}

function collectSecrets(value: unknown, secrets: string[], depth: number): void {
  if (depth > 16) return;
  if (typeof value === 'string' && value.length > 0) secrets.push(value);
  else if (typeof value === 'number' || typeof value === 'bigint') secrets.push(String(value));
  else if (Array.isArray(value)) for (const item of value) collectSecrets(item, secrets, depth + 1);
  else if (isPlainObject(value)) for (const v of Object.values(value)) collectSecrets(v, secrets, depth + 1);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function principalOf(value: unknown): CommandRecord['principal'] {
  const principal = value as Principal | undefined;
  if (typeof principal?.id !== 'string') return undefined;
  return { id: principal.id, roles: Array.isArray(principal.roles) ? [...principal.roles] : [] };
}

function tenantOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function errorSummary(error: unknown, secrets: readonly string[]): { code?: string; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  let message = error instanceof Error ? error.message : describeValue(error);
  // A handler's message may quote a redacted value: mask it there too (longest first, so no partial leaks).
  for (const secret of [...secrets].sort((a, b) => b.length - a.length))
    message = message.split(secret).join(REDACTED_MARKER);
  return { ...(typeof code === 'string' ? { code } : {}), message };
}

/** bigint as a decimal string; everything else as JSON would have it. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
